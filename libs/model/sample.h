// Samples and Prometheus stale markers.
//
// A sample is (int64 milliseconds since the epoch, float64). A stale marker is a NaN
// with the exact bit pattern 0x7ff0000000000002; it is stored and returned bit for
// bit, and only IsStaleNaN() tells it from an ordinary NaN.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace strata {

struct Sample {
  int64_t t = 0;  // milliseconds since the Unix epoch
  double v = 0;
  friend bool operator==(const Sample& a, const Sample& b) {
    return a.t == b.t && std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
  }
};

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
// The "normal" NaN Prometheus writes for a NaN value.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

}  // namespace strata
