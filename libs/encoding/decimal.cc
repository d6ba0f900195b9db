#include "libs/encoding/decimal.h"

#include <bit>
#include <cmath>

namespace strata::encoding {
namespace {

constexpr int64_t kPow10Int[kMaxDecimalDigits + 1] = {1LL,
                                                      10LL,
                                                      100LL,
                                                      1000LL,
                                                      10000LL,
                                                      100000LL,
                                                      1000000LL,
                                                      10000000LL,
                                                      100000000LL,
                                                      1000000000LL,
                                                      10000000000LL,
                                                      100000000000LL,
                                                      1000000000000LL,
                                                      10000000000000LL,
                                                      100000000000000LL,
                                                      1000000000000000LL,
                                                      10000000000000000LL,
                                                      100000000000000000LL,
                                                      1000000000000000000LL};

// 2^63: the first magnitude an int64 cannot hold.
constexpr double kTwo63 = 9223372036854775808.0;

}  // namespace

bool FloatToDecimal(double v, int64_t* mantissa, int* digits) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (!std::isfinite(v) || bits == std::bit_cast<uint64_t>(-0.0)) return false;
  for (int d = 0; d <= kMaxDecimalDigits; ++d) {
    double scaled = std::rint(v * kPow10[d]);
    if (!(std::fabs(scaled) < kTwo63)) return false;
    auto m = static_cast<int64_t>(scaled);
    if (std::bit_cast<uint64_t>(DecimalToFloat(m, d)) == bits) {
      *mantissa = m;
      *digits = d;
      return true;
    }
  }
  return false;
}

bool RescaleDecimal(double v, int64_t mantissa, int digits, int to_digits, int64_t* out) {
  int64_t m;
  if (__builtin_mul_overflow(mantissa, kPow10Int[to_digits - digits], &m)) return false;
  if (std::bit_cast<uint64_t>(DecimalToFloat(m, to_digits)) != std::bit_cast<uint64_t>(v)) {
    return false;
  }
  *out = m;
  return true;
}

}  // namespace strata::encoding
