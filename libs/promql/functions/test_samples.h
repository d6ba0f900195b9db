// Test helper: builds sample windows the way Prometheus' .test scripts load them.
//
//   auto s = Series(/*step_ms=*/300'000, {0, 10, kGap, 30});  // t = 0, 5m, 15m
//   auto w = Window(s, /*start_ms=*/0, /*end_ms=*/900'000);   // both ends inclusive
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

#include "libs/model/sample.h"

namespace strata::promql::fn::testing {

// A value that marks "no sample at this step" (a '_' in .test notation).
inline const double kGap = -std::numeric_limits<double>::max();
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Samples at t = i * step_ms for each value that is not kGap.
inline std::vector<Sample> Series(int64_t step_ms, std::initializer_list<double> values) {
  std::vector<Sample> out;
  int64_t t = 0;
  for (double v : values) {
    if (v != kGap) out.push_back({t, v});
    t += step_ms;
  }
  return out;
}

// "start+incxN" from .test notation: N+1 samples start, start+inc, ... every step_ms,
// the first at first_ms.
inline std::vector<Sample> Ramp(int64_t step_ms, double start, double inc, int n,
                                int64_t first_ms = 0) {
  std::vector<Sample> out;
  for (int i = 0; i <= n; ++i) out.push_back({first_ms + i * step_ms, start + inc * i});
  return out;
}

// The samples with start_ms <= t <= end_ms (Prometheus 2.x range selection).
inline std::vector<Sample> Window(const std::vector<Sample>& s, int64_t start_ms, int64_t end_ms) {
  std::vector<Sample> out;
  for (const Sample& x : s) {
    if (x.t >= start_ms && x.t <= end_ms) out.push_back(x);
  }
  return out;
}

inline constexpr int64_t kMinute = 60'000;

}  // namespace strata::promql::fn::testing
