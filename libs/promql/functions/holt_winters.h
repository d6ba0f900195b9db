// holt_winters(v range-vector, sf scalar, tf scalar): double exponential smoothing as
// Prometheus 2.42 computes it.
//
//   STRATA_RETURN_IF_ERROR(fn::ValidateHoltWinters(sf, tf));   // once per evaluation
//   std::optional<double> v = fn::HoltWinters(window, sf, tf);  // per series
#pragma once

#include <optional>
#include <span>

#include "absl/status/status.h"
#include "libs/model/sample.h"

namespace strata::promql::fn {

// InvalidArgument unless 0 < sf < 1 and 0 < tf < 1, with Prometheus' messages:
//   "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000"
//   "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000"
// (smoothing factor checked first; the number is printed as Go's %f, infinities as
// +Inf/-Inf). NaN factors pass, as in Prometheus (the result is NaN). Prometheus
// raises this when the function runs for a series, i.e. only if the range vector
// argument has at least one series.
absl::Status ValidateHoltWinters(double sf, double tf);

// The smoothed value at the last sample. nullopt with fewer than 2 samples.
// REQUIRES: ValidateHoltWinters(sf, tf).ok().
std::optional<double> HoltWinters(std::span<const Sample> samples, double sf, double tf);

}  // namespace strata::promql::fn
