#include "libs/model/matcher.h"

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/model/labels.h"
#include "libs/model/string_escape.h"
#include "re2/re2.h"

namespace strata {
namespace {

// Literal alternatives of a regex such as "a|b|c" (no metacharacters at all).
std::vector<std::string> LiteralAlternatives(const std::string& re) {
  static constexpr std::string_view kMeta = "\\.+*?()[]{}^$";
  std::vector<std::string> out;
  std::string cur;
  for (char c : re) {
    if (kMeta.find(c) != std::string_view::npos) return {};
    if (c == '|') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::string_view MatchTypeString(MatchType t) {
  switch (t) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "?";
}

absl::StatusOr<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);  // Prometheus compiles with (?s)
    auto re = std::make_shared<re2::RE2>(absl::StrCat("^(?:", m.value_, ")$"), opts);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid regular expression ", GoQuote(m.value_), " for label ", m.name_, ": ", re->error()));
    }
    m.re_ = std::move(re);
    m.set_matches_ = LiteralAlternatives(m.value_);
  }
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(v, *re_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string Matcher::ToString() const { return absl::StrCat(name_, Sv(MatchTypeString(type_)), GoQuote(value_)); }

bool MatchesAll(const Matchers& ms, const Labels& labels) {
  for (const Matcher& m : ms) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace strata
