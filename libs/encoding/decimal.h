// Exact decimal form of a float64: v == m / 10^d (or m when d == 0), bit for bit,
// with m an int64 — VictoriaMetrics' decimal idea made lossless by checking the
// round trip. Scraped values (counters, byte gauges, temperatures with 1-2 decimals)
// have small such forms whose deltas pack into a few bits.
//
//   int64_t m; int d;
//   if (FloatToDecimal(21.5, &m, &d)) { /* m == 215, d == 1 */ }
//   double v = DecimalToFloat(215, 1);   // 21.5
#pragma once

#include <cstdint>

namespace strata::encoding {

// The most decimal digits a block's common exponent may have (10^18 < 2^63, and
// every power of ten up to 10^22 is exact in float64).
inline constexpr int kMaxDecimalDigits = 18;

inline constexpr double kPow10[kMaxDecimalDigits + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                         1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                         1e14, 1e15, 1e16, 1e17, 1e18};

// The value a decimal form stands for. Deterministic: both operands are converted
// and divided with IEEE round-to-nearest, so encoder and decoder agree bit for bit.
// REQUIRES: 0 <= digits <= kMaxDecimalDigits.
inline double DecimalToFloat(int64_t mantissa, int digits) {
  double m = static_cast<double>(mantissa);
  return digits == 0 ? m : m / kPow10[digits];
}

// Finds the smallest digits in [0, kMaxDecimalDigits] and a mantissa with
// DecimalToFloat(mantissa, digits) bit-identical to v. False for NaN, ±Inf, -0.0
// and values with no such form.
bool FloatToDecimal(double v, int64_t* mantissa, int* digits);

// Rescales a decimal form to `to_digits` (>= digits): mantissa * 10^(to - digits).
// False on int64 overflow or when the rescaled form no longer yields v exactly.
bool RescaleDecimal(double v, int64_t mantissa, int digits, int to_digits, int64_t* out);

}  // namespace strata::encoding
