#include "services/select/api_params.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/absl_compat.h"
#include "libs/common/duration.h"
#include "libs/promql/parser/parser.h"

namespace strata {

absl::StatusOr<int64_t> ParseApiTime(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double secs = std::strtod(str.c_str(), &end);
  if (!str.empty() && end == str.c_str() + str.size() && std::isfinite(secs)) {
    double whole;
    double frac = std::modf(secs, &whole);
    return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(std::round(frac * 1000));
  }
  // Prometheus' own spelling of its min/max time.
  if (str == "-292273086-05-16T16:47:06Z") return kApiMinTimeMs;
  if (str == "292277025-08-18T07:12:54.999999999Z") return kApiMaxTimeMs;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, str, &t, &err)) return absl::ToUnixMillis(t);
  return absl::InvalidArgumentError(absl::StrCat("cannot parse \"", str, "\" to a valid timestamp"));
}

absl::StatusOr<int64_t> ParseApiDuration(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double secs = std::strtod(str.c_str(), &end);
  if (!str.empty() && end == str.c_str() + str.size()) {
    double ms = secs * 1000;
    if (!std::isfinite(ms) || ms >= 9.2e18 || ms <= -9.2e18) {
      return absl::InvalidArgumentError(absl::StrCat("cannot parse \"", str, "\" to a valid duration. It overflows int64"));
    }
    return static_cast<int64_t>(std::round(ms));
  }
  absl::StatusOr<int64_t> d = ParseDuration(str);
  if (d.ok()) return d;
  return absl::InvalidArgumentError(absl::StrCat("cannot parse \"", str, "\" to a valid duration"));
}

absl::StatusOr<Matchers> ParseSeriesSelector(std::string_view s) {
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(s);
  if (!e.ok()) return e.status();
  const auto* vs = dynamic_cast<const promql::VectorSelector*>(e->get());
  if (vs == nullptr) return absl::InvalidArgumentError("match[] must be a series selector");
  return vs->matchers;
}

}  // namespace strata
