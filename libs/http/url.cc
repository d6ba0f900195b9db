#include "libs/http/url.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"

namespace strata::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

}  // namespace

absl::StatusOr<std::string> UrlDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid URL escape \"", Sv(s.substr(i, 3)), "\""));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string UrlEncode(std::string_view s, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

absl::Status ParseQueryString(std::string_view query, ParamList* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    auto k = UrlDecode(key, true);
    if (!k.ok()) return k.status();
    auto v = UrlDecode(value, true);
    if (!v.ok()) return v.status();
    out->emplace_back(*std::move(k), *std::move(v));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParamList> ParseQueryString(std::string_view query) {
  ParamList out;
  absl::Status st = ParseQueryString(query, &out);
  if (!st.ok()) return st;
  return out;
}

std::string EncodeQueryString(const ParamList& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    absl::StrAppend(&out, UrlEncode(k), "=", UrlEncode(v));
  }
  return out;
}

}  // namespace strata::http
