#include "libs/promql/functions/aggregate.h"

#include <cmath>

namespace strata::promql::fn {

void AvgAggregator::Add(double v) {
  ++count_;
  if (count_ == 1) {
    mean_ = v;
    return;
  }
  if (std::isinf(mean_)) {
    // Inf - Inf would turn a correct infinite mean into NaN.
    if (std::isinf(v) && (mean_ > 0) == (v > 0)) return;
    if (!std::isinf(v) && !std::isnan(v)) return;
  }
  double n = static_cast<double>(count_);
  mean_ += v / n - mean_ / n;
}

void VarianceAggregator::Add(double v) {
  ++count_;
  if (count_ == 1) {
    mean_ = v;
    m2_ = 0;
    return;
  }
  double n = static_cast<double>(count_);
  double delta = v - mean_;
  mean_ += delta / n;
  m2_ += delta * (v - mean_);
}

double VarianceAggregator::Stdvar() const { return m2_ / static_cast<double>(count_); }
double VarianceAggregator::Stddev() const { return std::sqrt(Stdvar()); }

}  // namespace strata::promql::fn
