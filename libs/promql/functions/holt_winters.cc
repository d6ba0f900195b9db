#include "libs/promql/functions/holt_winters.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace strata::promql::fn {

namespace {

// Go's fmt "%f": six decimals, but "+Inf", "-Inf", "NaN" for the special values.
std::string GoPercentF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  std::snprintf(buf, sizeof buf, "%f", v);
  return buf;
}

// Trend at step i: the first step keeps the initial slope estimate.
double TrendValue(int i, double tf, double s0, double s1, double b) {
  if (i == 0) return b;
  double x = tf * (s1 - s0);
  double y = (1 - tf) * b;
  return x + y;
}

}  // namespace

absl::Status ValidateHoltWinters(double sf, double tf) {
  // Written as !(0 < x < 1) would also reject NaN; Prometheus' sf <= 0 || sf >= 1 lets
  // NaN through, and so do we.
  if (sf <= 0 || sf >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid smoothing factor. Expected: 0 < sf < 1, got: ", GoPercentF(sf)));
  }
  if (tf <= 0 || tf >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid trend factor. Expected: 0 < tf < 1, got: ", GoPercentF(tf)));
  }
  return absl::OkStatus();
}

std::optional<double> HoltWinters(std::span<const Sample> samples, double sf, double tf) {
  const size_t l = samples.size();
  if (l < 2) return std::nullopt;
  double s0 = 0, s1 = samples[0].v;
  double b = samples[1].v - samples[0].v;
  for (size_t i = 1; i < l; ++i) {
    double x = sf * samples[i].v;
    b = TrendValue(static_cast<int>(i) - 1, tf, s0, s1, b);
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

}  // namespace strata::promql::fn
