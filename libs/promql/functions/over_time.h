// <aggregation>_over_time kernels with Prometheus 2.42's exact numerics.
//
// Each kernel sees the float samples of ONE series inside the range window, oldest
// first, stale markers removed. An empty window yields nullopt (the series drops out
// of the result), except where noted.
//
//   auto avg = fn::AvgOverTime(window);            // std::optional<double>
//   auto q90 = fn::QuantileOverTime(0.9, window);  // needs a scratch copy, see below
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "libs/model/sample.h"

namespace strata::promql::fn {

// avg_over_time(): incremental mean m += v/n - m/n with Kahan (Neumaier)
// compensation, so large values do not overflow; once the mean is +-Inf it stays there
// unless a NaN or an Inf of the other sign arrives (then NaN).
std::optional<double> AvgOverTime(std::span<const Sample> samples);
// sum_over_time(): Kahan (Neumaier) compensated sum, as 2.42 does: [1, 1e100, 1,
// -1e100] sums to 2. (The sum() aggregation is NOT compensated: aggregate.h.)
std::optional<double> SumOverTime(std::span<const Sample> samples);
// count_over_time(): number of samples.
std::optional<double> CountOverTime(std::span<const Sample> samples);
// min_over_time() / max_over_time(): NaN only wins when every value is NaN.
std::optional<double> MinOverTime(std::span<const Sample> samples);
std::optional<double> MaxOverTime(std::span<const Sample> samples);
// stdvar_over_time() / stddev_over_time(): population variance by Welford's method
// with Kahan-compensated mean and sum of squares, starting from mean 0 (so a single
// Inf gives NaN, as in Prometheus).
std::optional<double> StdvarOverTime(std::span<const Sample> samples);
std::optional<double> StddevOverTime(std::span<const Sample> samples);
// last_over_time(): the value of the newest sample.
std::optional<double> LastOverTime(std::span<const Sample> samples);
// present_over_time(): 1 when the window is non-empty.
std::optional<double> PresentOverTime(std::span<const Sample> samples);
// quantile_over_time(q, ...): Quantile() (histogram.h) over the values. q < 0 -> -Inf,
// q > 1 -> +Inf, NaN q -> NaN. `scratch` is reused to avoid allocating per call.
std::optional<double> QuantileOverTime(double q, std::span<const Sample> samples,
                                       std::vector<double>& scratch);
std::optional<double> QuantileOverTime(double q, std::span<const Sample> samples);

}  // namespace strata::promql::fn
