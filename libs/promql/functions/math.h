// Element-wise math functions of PromQL: abs ceil floor exp ln log2 log10 sqrt sgn,
// the trigonometric family, deg/rad, and the parametrised round/clamp*.
//
//   fn::UnaryFn f = fn::LookupUnaryMath("log2");   // nullptr if not such a function
//   double y = f(8.0);                              // 3
//   double r = fn::Round(2.5, 1);                   // 3 (ties round up)
//
// The engine applies these to every float sample of an instant vector and drops the
// metric name, as Prometheus does. Results follow Go's math package (log2 of a power
// of two is exact; log10 is ln(x) * (1/ln 10); sgn keeps 0, -0 and NaN).
#pragma once

#include <string_view>

namespace strata::promql::fn {

using UnaryFn = double (*)(double);

// The one-argument function called `name` in PromQL (abs ceil floor exp ln log2 log10
// sqrt sgn acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh deg rad), or
// nullptr for any other name.
UnaryFn LookupUnaryMath(std::string_view name);

// pi().
double Pi();

// round(v, to_nearest): floor(v * (1/to_nearest) + 0.5) / (1/to_nearest); ties go
// up (round(-2.5) = -2). to_nearest defaults to 1 in PromQL.
double Round(double v, double to_nearest = 1);

// clamp(v, min, max) = GoMax(min, GoMin(max, v)): Go's rules, so an infinity in the
// winning direction beats NaN, otherwise NaN propagates. REQUIRES: the engine has already dropped the whole vector when
// max < min (Prometheus returns an empty vector then).
double Clamp(double v, double min, double max);
// clamp_min(v, min) = GoMax(min, v); clamp_max(v, max) = GoMin(max, v).
double ClampMin(double v, double min);
double ClampMax(double v, double max);

// Go's math.Pow, for the `^` operator. Integer exponents use Go's repeated squaring
// on the frexp mantissa, so e.g. 1.1^10 is bit-identical to Prometheus (glibc's pow
// differs in the last bit for about a third of such inputs); the fractional part of
// an exponent goes through exp(f * log(x)), as Go does, using the C library's exp/log.
// Special cases follow Go: x^0 = 1 and 1^y = 1 even for NaN, (-1)^+-Inf = 1, x^0.5 =
// sqrt(x), negative x with a non-integer y is NaN.
double GoPow(double x, double y);

// Go's math.Max / math.Min: +Inf/-Inf win, then NaN propagates, and +0 > -0.
double GoMax(double a, double b);
double GoMin(double a, double b);

}  // namespace strata::promql::fn
