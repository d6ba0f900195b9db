#include "tools/promqltest/series_notation.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/absl_compat.h"
#include "libs/model/sample.h"

namespace strata::promqltest {
namespace {

constexpr double kEpsilon = 1e-6;
constexpr double kMinNormal = 2.2250738585072014e-308;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

// Splits a series line into the series part and the value items.
absl::Status SplitSeriesLine(std::string_view line, std::string* series,
                             std::vector<std::string>* items) {
  size_t i = 0;
  bool in_braces = false;
  char quote = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\' && quote != '`') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (in_braces) {
      if (c == '"' || c == '\'' || c == '`') quote = c;
      if (c == '}') {
        in_braces = false;
        ++i;
        break;
      }
      continue;
    }
    if (c == '{') {
      in_braces = true;
      continue;
    }
    if (c == ' ' || c == '\t') break;
  }
  if (in_braces || quote) return absl::InvalidArgumentError("unterminated series description");
  *series = std::string(line.substr(0, i));
  items->clear();
  for (absl::string_view it :
       absl::StrSplit(Sv(line.substr(i)), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    items->push_back(std::string(it));
  }
  return absl::OkStatus();
}

// Go's strconv.ParseInt(s, 0, 64) then ParseFloat, for expected scalar lines.
std::optional<double> ParseScalarLine(std::string_view s) {
  std::string t(s);
  std::string digits;
  for (char c : t) {
    if (c != '_') digits.push_back(c);
  }
  std::string body = digits;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body = body.substr(1);
  }
  int base = 10;
  std::string num = body;
  std::string lower = absl::AsciiStrToLower(body);
  if (StartsWith(lower, "0x")) {
    base = 16;
    num = body.substr(2);
  } else if (StartsWith(lower, "0o")) {
    base = 8;
    num = body.substr(2);
  } else if (StartsWith(lower, "0b")) {
    base = 2;
    num = body.substr(2);
  } else if (body.size() > 1 && body[0] == '0') {
    base = 8;
    num = body.substr(1);
  }
  if (!num.empty()) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(num.c_str(), &end, base);
    if (errno == 0 && end == num.c_str() + num.size() &&
        std::all_of(num.begin(), num.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
      return neg ? -static_cast<double>(v) : static_cast<double>(v);
    }
  }
  absl::StatusOr<double> f = ParseGoFloat(s);
  if (f.ok()) return *f;
  return std::nullopt;
}

absl::StatusOr<double> ParseGoFloat(std::string_view s) {
  std::string t(s);
  std::string lower = absl::AsciiStrToLower(t);
  std::string body = lower;
  double sign = 1;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    if (body[0] == '-') sign = -1;
    body = body.substr(1);
  }
  if (body == "inf" || body == "infinity") return sign * std::numeric_limits<double>::infinity();
  if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (body.empty() || StartsWith(body, "0x") || body.find_first_not_of("0123456789.e+-_") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid number \"", t, "\""));
  }
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return absl::InvalidArgumentError(absl::StrCat("invalid number \"", t, "\""));
  return v;
}

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

absl::StatusOr<std::vector<ExpandedValue>> ExpandValues(const std::vector<std::string>& items) {
  std::vector<ExpandedValue> out;
  for (const std::string& item : items) {
    auto bad = [&]() {
      return absl::InvalidArgumentError(absl::StrCat("invalid value item \"", item, "\""));
    };
    if (item == "_") {
      out.push_back({true, 0});
      continue;
    }
    if (item == "stale") {
      out.push_back({false, StaleNaN()});
      continue;
    }
    size_t x = item.rfind('x');
    if (x != std::string::npos && x + 1 < item.size() &&
        item.find_first_not_of("0123456789", x + 1) == std::string::npos) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(item.substr(x + 1), &n)) return bad();
      std::string prefix = item.substr(0, x);
      if (prefix == "_") {
        for (int64_t k = 0; k < n; ++k) out.push_back({true, 0});
        continue;
      }
      // a, a+b or a-b; the operator is a sign not at the start nor after an exponent 'e'.
      size_t op = std::string::npos;
      for (size_t k = 1; k < prefix.size(); ++k) {
        char c = prefix[k];
        if ((c == '+' || c == '-') && prefix[k - 1] != 'e' && prefix[k - 1] != 'E') {
          op = k;
          break;
        }
      }
      absl::StatusOr<double> a = ParseGoFloat(op == std::string::npos ? prefix : prefix.substr(0, op));
      if (!a.ok()) return bad();
      double b = 0;
      if (op != std::string::npos) {
        absl::StatusOr<double> bv = ParseGoFloat(prefix.substr(op + 1));
        if (!bv.ok()) return bad();
        b = prefix[op] == '-' ? -*bv : *bv;
      }
      double v = *a;
      out.push_back({false, v});
      for (int64_t k = 0; k < n; ++k) {
        v += b;
        out.push_back({false, v});
      }
      continue;
    }
    absl::StatusOr<double> v = ParseGoFloat(item);
    if (!v.ok()) return bad();
    out.push_back({false, *v});
  }
  return out;
}

}  // namespace strata::promqltest
