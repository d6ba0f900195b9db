#include "libs/ingest/text_number.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "libs/model/sample.h"

namespace strata::ingest {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool ParseFloatText(std::string_view s, double* out) {
  if (s.empty()) return false;
  bool neg = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return false;
  char c = body[0];
  if (c == 'n' || c == 'N' || c == 'i' || c == 'I') {
    if (EqualsIgnoreCase(body, "nan")) {
      *out = std::bit_cast<double>(kNormalNaNBits);
      return true;
    }
    if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
      *out = neg ? -INFINITY : INFINITY;
      return true;
    }
    return false;
  }
  // from_chars takes neither a leading '+' nor a second sign; both excluded here.
  if (!((c >= '0' && c <= '9') || c == '.')) return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v,
                                   std::chars_format::general);
  if (ptr != body.data() + body.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Rare: let strtod saturate overflow to inf and underflow to 0 / a denormal.
    std::string copy(body);
    v = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  *out = neg ? -v : v;
  return true;
}

bool ParseInt64Text(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseUint64Text(std::string_view s, uint64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool FloatToMillis(double v, double unit_ms, int64_t* out) {
  double ms = v * unit_ms;
  if (!std::isfinite(ms) || ms >= 9.2e18 || ms <= -9.2e18) return false;
  *out = static_cast<int64_t>(std::llround(ms));
  return true;
}

bool MulOverflow(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace strata::ingest
