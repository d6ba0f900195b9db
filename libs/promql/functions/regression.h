// Least-squares linear regression behind deriv() and predict_linear(), as Prometheus
// 2.42's linearRegression (Kahan-compensated sums, x in seconds relative to an
// intercept time, constant-y short cut).
//
//   auto slope = fn::Deriv(window);                                   // per second
//   auto v = fn::PredictLinear(window, /*eval_ts_ms=*/t, /*seconds=*/3600);
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "libs/model/sample.h"

namespace strata::promql::fn {

struct LinearFit {
  double slope = 0;      // per second
  double intercept = 0;  // value at intercept_time_ms
};

// Fits y = slope * x + intercept with x = (t - intercept_time_ms) / 1000. If every
// value equals the first: slope 0, intercept that value, or (NaN, NaN) when it is
// +-Inf. REQUIRES: samples non-empty.
LinearFit LinearRegression(std::span<const Sample> samples, int64_t intercept_time_ms);

// deriv(): slope of the fit with the intercept at the first sample's time.
// nullopt with fewer than 2 samples.
std::optional<double> Deriv(std::span<const Sample> samples);

// predict_linear(v, seconds): value the fit predicts `seconds` after the evaluation
// time (intercept placed at eval_ts_ms, the step time, NOT the @/offset-shifted window
// end). nullopt with fewer than 2 samples.
std::optional<double> PredictLinear(std::span<const Sample> samples, int64_t eval_ts_ms,
                                    double seconds);

}  // namespace strata::promql::fn
