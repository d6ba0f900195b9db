// Label matchers: the four Prometheus matcher types.
//
//   auto m = Matcher::Make(MatchType::kRegexMatch, "job", "node|api");
//   m->Matches("node")  -> true;  m->Matches("nodes") -> false (fully anchored)
//
// Regexes are RE2, anchored on both ends exactly as Prometheus anchors them
// (^(?:re)$). A matcher against a missing label sees the empty string, so
// {foo=""} selects series without `foo` and {foo!=""} those with it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace strata {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// "=", "!=", "=~", "!~".
std::string_view MatchTypeString(MatchType t);

class Matcher {
 public:
  // Compiles regexes; InvalidArgument naming the regex when it does not compile.
  static absl::StatusOr<Matcher> Make(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view v) const;
  // True when this matcher accepts the empty string (i.e. series lacking the label).
  bool MatchesEmpty() const { return Matches(""); }

  // For regex matchers: when the regex is a plain alternation of literals
  // ("a|b|c", or a single literal), those literals; otherwise empty. Lets the index
  // turn `=~"a|b"` into point look-ups.
  const std::vector<std::string>& SetMatches() const { return set_matches_; }

  // name="value" with the value Go-quoted, as Prometheus prints matchers.
  std::string ToString() const;

  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.type_ == b.type_ && a.name_ == b.name_ && a.value_ == b.value_;
  }

 private:
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // set for regex types
  std::vector<std::string> set_matches_;
};

using Matchers = std::vector<Matcher>;

// True when every matcher accepts the corresponding label of `labels`.
class Labels;
bool MatchesAll(const Matchers& ms, const Labels& labels);

}  // namespace strata
