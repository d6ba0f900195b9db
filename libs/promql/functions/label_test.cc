#include "libs/promql/functions/label.h"

#include <catch2/catch.hpp>

namespace strata::promql::fn {
namespace {

Labels L(std::vector<Label> pairs) {
  auto ls = Labels::FromPairs(std::move(pairs));
  REQUIRE(ls.ok());
  return *ls;
}

Labels Metric() {
  return L({{"__name__", "testmetric"}, {"src", "source-value-10"}, {"dst", "original-destination-value"}});
}

std::string Dst(const Labels& ls) { return std::string(ls.Get("dst")); }

TEST_CASE("label_replace full-string match and groups", "[label]") {
  auto r = LabelReplace(Metric(), "dst", "destination-value-$1", "src", "source-value-(.*)");
  REQUIRE(r.ok());
  CHECK(Dst(*r) == "destination-value-10");
  CHECK(r->MetricName() == "testmetric");
  CHECK(r->Get("src") == "source-value-10");

  // No substring matches: the regex is anchored at both ends.
  r = LabelReplace(Metric(), "dst", "destination-value-$1", "src", "value-(.*)");
  CHECK(Dst(*r) == "original-destination-value");

  r = LabelReplace(Metric(), "dst", "$1-value-$2", "src", "(.*)-value-(.*)");
  CHECK(Dst(*r) == "source-value-10");
}

TEST_CASE("label_replace with missing, empty and unmatched sources", "[label]") {
  // A missing source is "", which does not match this regex: nothing changes.
  auto r = LabelReplace(Metric(), "dst", "value-$1", "nonexistent-src", "source-value-(.*)");
  CHECK(Dst(*r) == "original-destination-value");
  // "" matches (.*): the destination is overwritten.
  r = LabelReplace(Metric(), "dst", "value-$1", "nonexistent-src", "(.*)");
  CHECK(Dst(*r) == "value-");
  r = LabelReplace(Metric(), "dst", "value-$1", "src", "non-matching-regex");
  CHECK(*r == Metric());
  // An empty result deletes the destination label.
  r = LabelReplace(Metric(), "dst", "", "dst", ".*");
  CHECK_FALSE(r->Has("dst"));
  CHECK(r->size() == 2);
  // A new label is created.
  r = LabelReplace(Metric(), "new", "x$1", "src", "source-(value)-10");
  CHECK(r->Get("new") == "xvalue");
}

TEST_CASE("label_replace errors", "[label]") {
  auto r = LabelReplace(Metric(), "dst", "value-$1", "src", "(.*");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()) == "invalid regular expression in label_replace(): (.*");
  r = LabelReplace(Metric(), "invalid-label-name", "", "src", "(.*)");
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.status().message()) ==
        "invalid destination label name in label_replace(): invalid-label-name");
  // The regex is checked before the destination name.
  r = LabelReplace(Metric(), "1bad", "", "src", "(");
  CHECK(std::string(r.status().message()) == "invalid regular expression in label_replace(): (");
  // As in Prometheus, closing the group early escapes the anchoring: ^(?:a)|(b)$
  // matches any value starting with "a" (Go finds the leftmost match, and so do we).
  r = LabelReplace(L({{"src", "axyz"}}), "dst", "m$1", "src", "a)|(b");
  REQUIRE(r.ok());
  CHECK(Dst(*r) == "m");
}

TEST_CASE("label_replace template expansion follows Go's Regexp.Expand", "[label]") {
  // Expected strings are promtool 2.42's answers for src="ab-12".
  auto r = LabelReplacer::Create("d", "[$1x|${1}x|$$1|$n|${n}|$2|$|${1|$0]", "src",
                                 "(?P<n>[a-z]+)-(\\d+)");
  REQUIRE(r.ok());
  CHECK(*r->Expand("ab-12") == "[|abx|$1|ab|ab|12|$|${1|ab-12]");
  auto r2 = LabelReplacer::Create("d", "$01|$10|$2a|${2}a", "src", "(?P<n>[a-z]+)-(\\d+)");
  REQUIRE(r2.ok());
  CHECK(*r2->Expand("ab-12") == "|||12a");
  CHECK_FALSE(r2->Expand("nope").has_value());
  // Unmatched optional group expands to "".
  auto r3 = LabelReplacer::Create("d", "<$1><$2>", "src", "(a)|(b)");
  REQUIRE(r3.ok());
  CHECK(*r3->Expand("b") == "<><b>");
  // Apply through the prepared form.
  Labels in = L({{"src", "ab-12"}});
  CHECK(r2->Apply(in).Get("d") == "|||12a");
}

TEST_CASE("label_join", "[label]") {
  Labels m = L({{"__name__", "testmetric"}, {"src", "a"}, {"src1", "b"}, {"src2", "c"},
                {"dst", "original-destination-value"}});
  auto r = LabelJoin(m, "dst", "-", {"src", "src1", "src2"});
  REQUIRE(r.ok());
  CHECK(Dst(*r) == "a-b-c");
  r = LabelJoin(m, "dst", "-", {"src", "src3", "src1"});
  CHECK(Dst(*r) == "a--b");
  r = LabelJoin(m, "dst", "", {"emptysrc", "emptysrc1", "emptysrc2"});
  CHECK_FALSE(r->Has("dst"));
  r = LabelJoin(m, "dst", ", ", {});
  CHECK_FALSE(r->Has("dst"));
  Labels m1 = L({{"src", "foo"}, {"src1", "bar"}, {"src2", "foobar"}});
  r = LabelJoin(m1, "dst", ", ", {"src", "src1", "src2"});
  CHECK(Dst(*r) == "foo, bar, foobar");
}

TEST_CASE("label_join errors", "[label]") {
  Labels m = L({{"src", "a"}});
  auto r = LabelJoin(m, "dst", "-", {"src", "bad-src"});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.status().message()) == "invalid source label name in label_join(): bad-src");
  r = LabelJoin(m, "bad-dst", "-", {"bad-src"});
  CHECK(std::string(r.status().message()) == "invalid source label name in label_join(): bad-src");
  r = LabelJoin(m, "bad-dst", "-", {"src"});
  CHECK(std::string(r.status().message()) == "invalid destination label name in label_join(): bad-dst");
}

}  // namespace
}  // namespace strata::promql::fn
