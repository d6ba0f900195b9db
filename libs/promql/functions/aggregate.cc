#include "libs/promql/functions/aggregate.h"

#include <cmath>

namespace strata::promql::fn {

void AvgAggregator::Step(double* mean, int64_t count, double v) {
  if (count == 1) {
    *mean = v;
    return;
  }
  if (std::isinf(*mean)) {
    // Inf - Inf would turn a correct infinite mean into NaN.
    if (std::isinf(v) && (*mean > 0) == (v > 0)) return;
    if (!std::isinf(v) && !std::isnan(v)) return;
  }
  double n = static_cast<double>(count);
  *mean += v / n - *mean / n;
}

void VarianceAggregator::Step(double* mean, double* m2, int64_t count, double v) {
  if (count == 1) {
    *mean = v;
    *m2 = 0;
    return;
  }
  double n = static_cast<double>(count);
  double delta = v - *mean;
  *mean += delta / n;
  *m2 += delta * (v - *mean);
}

double VarianceAggregator::Stdvar() const { return m2_ / static_cast<double>(count_); }
double VarianceAggregator::Stddev() const { return std::sqrt(Stdvar()); }

}  // namespace strata::promql::fn
