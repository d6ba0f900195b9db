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
#include <vector>

#include "libs/ingest/row_sink.h"
#include "libs/ingest/scratch_strings.h"

namespace strata::ingest {

std::string_view PromMetricName(std::string_view name, ScratchStrings& scratch);
std::string_view PromLabelName(std::string_view name, ScratchStrings& scratch);

// Appends the label of one `name=value` tag (Graphite `;name=value`, OpenTSDB
// `name=value`), renaming it with PromLabelName when `prom_names`. False, appending
// nothing, when the tag is not `name=value` with both sides non-empty.
bool AppendTagLabel(std::string_view tag, bool prom_names, ScratchStrings& scratch, std::vector<LabelView>* labels);

}  // namespace strata::ingest
