// Number parsing shared by the text parsers. Internal to libs/ingest.
//
//   double v;
//   if (!ParseFloatText("+Inf", &v)) error;   // NaN, +Inf, -Inf, Inf, 1e3, .5 ...
#pragma once

#include <cstdint>
#include <string_view>

namespace strata::ingest {

// Parses a decimal float, also "NaN", "Inf", "+Inf", "-Inf", "Infinity" (any case).
// A NaN result is Prometheus' normal NaN (kNormalNaNBits). Hex floats are rejected.
// The whole of `s` must be consumed.
bool ParseFloatText(std::string_view s, double* out);

// Parses a decimal int64 / uint64, optional leading '-' (int) or '+'; whole of `s`.
bool ParseInt64Text(std::string_view s, int64_t* out);
bool ParseUint64Text(std::string_view s, uint64_t* out);

// Converts a float count of `unit_ms` milliseconds (e.g. Unix seconds with
// fractions: unit_ms = 1000) to integer milliseconds, rounding to the nearest.
// False when not finite or out of int64 range.
bool FloatToMillis(double v, double unit_ms, int64_t* out);

// a * b in int64; false on overflow.
bool MulOverflow(int64_t a, int64_t b, int64_t* out);

}  // namespace strata::ingest
