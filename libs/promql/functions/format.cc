#include "libs/promql/functions/format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace strata::promql::fn {

namespace {

// The shortest round-tripping decimal digits of |v|: value = 0.DIGITS x 10^dp, as in
// Go's strconv decimalSlice. Zero has no digits and dp = 0.
struct Digits {
  std::string d;
  int dp = 0;
};

Digits ShortestDigits(double v) {
  Digits out;
  v = std::fabs(v);
  if (v == 0) return out;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  for (char c : s.substr(0, e)) {
    if (c != '.') out.d.push_back(c);
  }
  out.dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  return out;
}

std::string Special(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

std::string FmtF(bool neg, const Digits& dg) {
  std::string out;
  if (neg) out.push_back('-');
  const int nd = static_cast<int>(dg.d.size());
  if (dg.dp > 0) {
    int m = std::min(nd, dg.dp);
    out.append(dg.d, 0, static_cast<size_t>(m));
    out.append(static_cast<size_t>(dg.dp - m), '0');
  } else {
    out.push_back('0');
  }
  int prec = std::max(nd - dg.dp, 0);
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      int j = dg.dp + i - 1;
      out.push_back(j >= 0 && j < nd ? dg.d[static_cast<size_t>(j)] : '0');
    }
  }
  return out;
}

std::string FmtE(bool neg, const Digits& dg) {
  std::string out;
  if (neg) out.push_back('-');
  out.push_back(dg.d.empty() ? '0' : dg.d[0]);
  if (dg.d.size() > 1) {
    out.push_back('.');
    out.append(dg.d, 1);
  }
  out.push_back('e');
  int exp = dg.d.empty() ? 0 : dg.dp - 1;
  out.push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) out.push_back('0');
  out.append(std::to_string(exp));
  return out;
}

}  // namespace

std::string FormatFloatF(double v) {
  if (!std::isfinite(v)) return Special(v);
  return FmtF(std::signbit(v), ShortestDigits(v));
}

std::string FormatFloatE(double v) {
  if (!std::isfinite(v)) return Special(v);
  return FmtE(std::signbit(v), ShortestDigits(v));
}

std::string FormatFloatG(double v) {
  if (!std::isfinite(v)) return Special(v);
  Digits dg = ShortestDigits(v);
  // Shortest 'g' switches to exponent form outside 1e-4 <= |v| < 1e6 (eprec = 6).
  int exp = dg.dp - 1;
  if (exp < -4 || exp >= 6) return FmtE(std::signbit(v), dg);
  return FmtF(std::signbit(v), dg);
}

std::string FormatFloatJson(double v) {
  if (!std::isfinite(v)) return Special(v);
  double abs = std::fabs(v);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) return FormatFloatE(v);
  return FormatFloatF(v);
}

}  // namespace strata::promql::fn
