// Prometheus-compatible names for protocols whose names allow more characters
// (Graphite paths, OpenTSDB metrics and tags). Internal to libs/ingest.
//
//   std::string_view name = PromMetricName("sys.cpu.nice", scratch);  // "sys_cpu_nice"
//
// Characters outside [a-zA-Z0-9_:] (metric names) or [a-zA-Z0-9_] (label names)
// become '_', and a leading digit gets a '_' in front, so the result passes
// IsValidMetricName / IsValidLabelName unless it is empty. Names that are already
// valid are returned as they are, without copying.
#pragma once

#include <string_view>

#include "libs/ingest/scratch_strings.h"

namespace strata::ingest {

std::string_view PromMetricName(std::string_view name, ScratchStrings& scratch);
std::string_view PromLabelName(std::string_view name, ScratchStrings& scratch);

}  // namespace strata::ingest
