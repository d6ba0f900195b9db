// Internal: Neumaier-compensated summation step, as Prometheus' kahanSumInc().
//
//   double sum = 0, c = 0;
//   for (double v : values) KahanAdd(v, sum, c);
//   double total = std::isinf(sum) ? sum : sum + c;
#pragma once

#include <cmath>

namespace strata::promql::fn::internal {

// Adds `inc` to the running `sum`, accumulating the rounding error in `c`.
inline void KahanAdd(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

}  // namespace strata::promql::fn::internal
