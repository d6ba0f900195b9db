#include "libs/promql/functions/regression.h"

#include <cmath>
#include <limits>

#include "libs/promql/functions/kahan.h"

namespace strata::promql::fn {

using internal::KahanAdd;

LinearFit LinearRegression(std::span<const Sample> samples, int64_t intercept_time_ms) {
  double n = 0;
  double sum_x = 0, c_x = 0, sum_y = 0, c_y = 0;
  double sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double init_y = samples[0].v;
  bool const_y = true;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    if (const_y && i > 0 && s.v != init_y) const_y = false;
    n += 1.0;
    double x = static_cast<double>(s.t - intercept_time_ms) / 1e3;
    KahanAdd(x, sum_x, c_x);
    KahanAdd(s.v, sum_y, c_y);
    KahanAdd(x * s.v, sum_xy, c_xy);
    KahanAdd(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    // A flat line: exact answer without cancellation (and Inf - Inf).
    if (std::isinf(init_y)) {
      double nan = std::numeric_limits<double>::quiet_NaN();
      return {nan, nan};
    }
    return {0, init_y};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;

  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  LinearFit fit;
  fit.slope = cov_xy / var_x;
  fit.intercept = sum_y / n - fit.slope * sum_x / n;
  return fit;
}

std::optional<double> Deriv(std::span<const Sample> samples) {
  if (samples.size() < 2) return std::nullopt;
  // An intercept time near the data keeps x small (Prometheus issue 2674).
  return LinearRegression(samples, samples[0].t).slope;
}

std::optional<double> PredictLinear(std::span<const Sample> samples, int64_t eval_ts_ms,
                                    double seconds) {
  if (samples.size() < 2) return std::nullopt;
  LinearFit fit = LinearRegression(samples, eval_ts_ms);
  return fit.slope * seconds + fit.intercept;
}

}  // namespace strata::promql::fn
