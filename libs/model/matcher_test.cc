#include "libs/model/matcher.h"

#include <catch2/catch.hpp>

#include "libs/model/labels.h"

using strata::Matcher;
using strata::MatchType;

TEST_CASE("matcher types") {
  CHECK(Matcher::Make(MatchType::kEqual, "a", "x")->Matches("x"));
  CHECK(!Matcher::Make(MatchType::kEqual, "a", "x")->Matches("xy"));
  CHECK(Matcher::Make(MatchType::kNotEqual, "a", "x")->Matches(""));
  auto re = *Matcher::Make(MatchType::kRegexMatch, "a", "fo+|bar");
  CHECK(re.Matches("foo"));
  CHECK(re.Matches("bar"));
  CHECK(!re.Matches("xfoo"));  // fully anchored
  CHECK(!re.Matches("barx"));
  auto nre = *Matcher::Make(MatchType::kRegexNoMatch, "a", "fo+");
  CHECK(!nre.Matches("foo"));
  CHECK(nre.Matches("fox"));
  CHECK(Matcher::Make(MatchType::kRegexMatch, "a", ".*")->MatchesEmpty());
  CHECK(Matcher::Make(MatchType::kRegexMatch, "a", "a.b")->Matches("a\nb"));  // (?s)
}

TEST_CASE("bad regex is InvalidArgument naming it") {
  auto m = Matcher::Make(MatchType::kRegexMatch, "a", "(unclosed");
  REQUIRE(!m.ok());
  CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(m.status().message().find("(unclosed") != std::string::npos);
}

TEST_CASE("set matches of literal alternations") {
  CHECK(Matcher::Make(MatchType::kRegexMatch, "a", "x|y|z")->SetMatches() == std::vector<std::string>{"x", "y", "z"});
  CHECK(Matcher::Make(MatchType::kRegexMatch, "a", "x.*")->SetMatches().empty());
}

TEST_CASE("MatchesAll treats missing labels as empty") {
  auto ls = *strata::Labels::FromPairs({{"__name__", "up"}, {"job", "n"}});
  CHECK(strata::MatchesAll({*Matcher::Make(MatchType::kEqual, "zone", "")}, ls));
  CHECK(!strata::MatchesAll({*Matcher::Make(MatchType::kNotEqual, "zone", "")}, ls));
  CHECK(Matcher::Make(MatchType::kEqual, "job", "n")->ToString() == "job=\"n\"");
}
