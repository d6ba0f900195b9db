#include "libs/promql/functions/math.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string_view>

namespace strata::promql::fn {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Go's math.Log2: exact for powers of two.
double GoLog2(double x) {
  if (x == 0 || std::isinf(x) || std::isnan(x)) return std::log(x) * std::numbers::log2e;
  int exp = 0;
  double frac = std::frexp(x, &exp);
  if (frac == 0.5) return static_cast<double>(exp - 1);
  return std::log(frac) * std::numbers::log2e + static_cast<double>(exp);
}

// Go's math.Log10 is ln(x) * (1/ln 10), which can differ from C's log10 in the last bit.
double GoLog10(double x) { return std::log(x) * std::numbers::log10e; }

double Sgn(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;
}

double Deg(double v) { return v * 180 / std::numbers::pi; }
double Rad(double v) { return v * std::numbers::pi / 180; }

double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Ln(double v) { return std::log(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Acos(double v) { return std::acos(v); }
double Acosh(double v) { return std::acosh(v); }
double Asin(double v) { return std::asin(v); }
double Asinh(double v) { return std::asinh(v); }
double Atan(double v) { return std::atan(v); }
double Atanh(double v) { return std::atanh(v); }
double Cos(double v) { return std::cos(v); }
double Cosh(double v) { return std::cosh(v); }
double Sin(double v) { return std::sin(v); }
double Sinh(double v) { return std::sinh(v); }
double Tan(double v) { return std::tan(v); }
double Tanh(double v) { return std::tanh(v); }

struct Entry {
  std::string_view name;
  UnaryFn fn;
};

constexpr Entry kUnary[] = {
    {"abs", Abs},     {"ceil", Ceil},   {"floor", Floor}, {"exp", Exp},     {"ln", Ln},
    {"log2", GoLog2}, {"log10", GoLog10}, {"sqrt", Sqrt}, {"sgn", Sgn},     {"acos", Acos},
    {"acosh", Acosh}, {"asin", Asin},   {"asinh", Asinh}, {"atan", Atan},   {"atanh", Atanh},
    {"cos", Cos},     {"cosh", Cosh},   {"sin", Sin},     {"sinh", Sinh},   {"tan", Tan},
    {"tanh", Tanh},   {"deg", Deg},     {"rad", Rad},
};

}  // namespace

UnaryFn LookupUnaryMath(std::string_view name) {
  for (const Entry& e : kUnary) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

double Pi() { return std::numbers::pi; }

double Round(double v, double to_nearest) {
  // Multiplying by the inverse is what Prometheus does (fewer representation errors
  // for to_nearest like 0.1).
  double inverse = 1.0 / to_nearest;
  return std::floor(v * inverse + 0.5) / inverse;
}

double GoMax(double a, double b) {
  if ((std::isinf(a) && a > 0) || (std::isinf(b) && b > 0)) return kInf;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if ((std::isinf(a) && a < 0) || (std::isinf(b) && b < 0)) return -kInf;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

namespace {

bool IsOddInt(double x) {
  if (std::fabs(x) >= 9007199254740992.0) return false;  // 2^53: all even
  double xi = 0;
  double xf = std::modf(x, &xi);
  return xf == 0 && (static_cast<int64_t>(xi) & 1) == 1;
}

}  // namespace

double GoPow(double x, double y) {
  if (y == 0 || x == 1) return 1;
  if (y == 1) return x;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0) {
    if (y < 0) return std::signbit(x) && IsOddInt(y) ? -kInf : kInf;
    return std::signbit(x) && IsOddInt(y) ? x : 0.0;  // y > 0 here
  }
  if (std::isinf(y)) {
    if (x == -1) return 1;
    if ((std::fabs(x) < 1) == (y > 0)) return 0;
    return kInf;
  }
  if (std::isinf(x)) {
    if (x < 0) return GoPow(1 / x, -y);  // (-Inf)^y = (-0)^-y
    return y < 0 ? 0.0 : kInf;
  }
  if (y == 0.5) return std::sqrt(x);
  if (y == -0.5) return 1 / std::sqrt(x);

  double yi = 0;
  double yf = std::modf(std::fabs(y), &yi);
  if (yf != 0 && x < 0) return kNaN;
  if (yi >= 9223372036854775808.0) {
    // A huge even integer: overflow or underflow for every x but -1.
    if (x == -1) return 1;
    if ((std::fabs(x) < 1) == (y > 0)) return 0;
    return kInf;
  }

  // ans = a1 * 2^ae, built from x^yf and then x^yi by squaring the mantissa.
  double a1 = 1.0;
  int64_t ae = 0;
  if (yf != 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = std::exp(yf * std::log(x));
  }
  int xe_int = 0;
  double x1 = std::frexp(x, &xe_int);
  int64_t xe = xe_int;
  for (int64_t i = static_cast<int64_t>(yi); i != 0; i >>= 1) {
    if (xe < -(1 << 12) || (1 << 12) < xe) {
      // Catastrophic overflow: let ldexp saturate.
      ae += xe;
      break;
    }
    if ((i & 1) == 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < .5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  if (ae > 100000) ae = 100000;
  if (ae < -100000) ae = -100000;
  return std::ldexp(a1, static_cast<int>(ae));
}

double Clamp(double v, double min, double max) { return GoMax(min, GoMin(max, v)); }
double ClampMin(double v, double min) { return GoMax(min, v); }
double ClampMax(double v, double max) { return GoMin(max, v); }

}  // namespace strata::promql::fn
