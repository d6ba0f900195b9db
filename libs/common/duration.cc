#include "libs/common/duration.h"

#include <array>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"

namespace strata {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Order matters: the parser requires units in this (decreasing) order.
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

}  // namespace

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty duration string");
  if (text == "0") return 0;
  const std::string_view original = text;
  int64_t total = 0;
  size_t last_unit = 0;  // index into kUnits after the previous unit
  bool any = false;
  while (!text.empty()) {
    size_t i = 0;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return absl::InvalidArgumentError(absl::StrCat("duration out of range: \"", Sv(original), "\""));
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == 0) {
      return absl::InvalidArgumentError(absl::StrCat("not a valid duration string: \"", Sv(original), "\""));
    }
    text.remove_prefix(i);
    size_t j = 0;
    while (j < text.size() && !(text[j] >= '0' && text[j] <= '9')) ++j;
    std::string_view unit = text.substr(0, j);
    text.remove_prefix(j);
    size_t u = last_unit;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size()) {
      return absl::InvalidArgumentError(absl::StrCat("not a valid duration string: \"", Sv(original),
                                                     "\" (unit \"", Sv(unit), "\" unknown or out of order)"));
    }
    if (n > std::numeric_limits<int64_t>::max() / kUnits[u].ms ||
        total > std::numeric_limits<int64_t>::max() - n * kUnits[u].ms) {
      return absl::InvalidArgumentError(absl::StrCat("duration out of range: \"", Sv(original), "\""));
    }
    total += n * kUnits[u].ms;
    last_unit = u + 1;
    any = true;
  }
  if (!any) return absl::InvalidArgumentError(absl::StrCat("not a valid duration string: \"", Sv(original), "\""));
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      absl::StrAppend(&out, ms / u.ms, Sv(u.name));
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace strata
