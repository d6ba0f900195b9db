#include "libs/model/labels.h"

#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "libs/model/string_escape.h"

using strata::Label;
using strata::Labels;

TEST_CASE("FromPairs sorts, drops empty values and validates") {
  auto ls = Labels::FromPairs({{"job", "node"}, {"__name__", "up"}, {"empty", ""}, {"a", "1"}});
  REQUIRE(ls.ok());
  REQUIRE(ls->size() == 3);
  CHECK(ls->items()[0].name == "__name__");
  CHECK(ls->items()[1].name == "a");
  CHECK(ls->MetricName() == "up");
  CHECK(ls->ToString() == "up{a=\"1\", job=\"node\"}");

  CHECK(Labels::FromPairs({{"1bad", "x"}}).status().message().find("invalid label name") != std::string::npos);
  CHECK(Labels::FromPairs({{"a", "x"}, {"a", "y"}}).status().message().find("duplicate label name \"a\"") !=
        std::string::npos);
  CHECK(Labels::FromPairs({{"__name__", "bad-name"}}).status().message().find("invalid metric name") !=
        std::string::npos);
  CHECK(!Labels::FromPairs({{"a", "\xff\xfe"}}).ok());
  CHECK(Labels::FromPairs({{"__name__", "ns:metric_total"}}).ok());
}

TEST_CASE("Hash is stable and order-independent") {
  auto a = *Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
  auto b = *Labels::FromPairs({{"job", "node"}, {"__name__", "up"}});
  CHECK(a.Hash() == b.Hash());
  // Frozen value: changing the series key format breaks every stored index.
  CHECK(a.Hash() == 0x01585e2399cc2df6ULL);
  auto c = *Labels::FromPairs({{"__name__", "up"}, {"job", "nodf"}});
  CHECK(a.Hash() != c.Hash());
  // Separator prevents ambiguity between {a="bc"} and {ab="c"}.
  CHECK(Labels::FromPairs({{"a", "bc"}})->Hash() != Labels::FromPairs({{"ab", "c"}})->Hash());
}

TEST_CASE("HashFor / HashWithout group series") {
  auto a = *Labels::FromPairs({{"__name__", "x"}, {"job", "a"}, {"inst", "1"}});
  auto b = *Labels::FromPairs({{"__name__", "y"}, {"job", "a"}, {"inst", "2"}});
  CHECK(a.HashFor({"job"}) == b.HashFor({"job"}));
  CHECK(a.HashFor({"inst", "job"}) != b.HashFor({"inst", "job"}));
  CHECK(a.HashWithout({"inst"}) == b.HashWithout({"inst"}));
}

TEST_CASE("ToString escapes like Go %q") {
  auto ls = *Labels::FromPairs({{"a", "x\"y\\z\n"}});
  CHECK(ls.ToString() == "{a=\"x\\\"y\\\\z\\n\"}");
  CHECK(Labels().ToString() == "{}");
  CHECK(Labels::FromPairs({{"__name__", "up"}})->ToString() == "up");
}

TEST_CASE("Compare orders like Prometheus") {
  auto a = *Labels::FromPairs({{"a", "1"}});
  auto b = *Labels::FromPairs({{"a", "1"}, {"b", "1"}});
  auto c = *Labels::FromPairs({{"a", "2"}});
  CHECK(a < b);
  CHECK(b < c);
  CHECK(Labels::Compare(a, a) == 0);
}

TEST_CASE("LabelsBuilder sets and deletes") {
  auto base = *Labels::FromPairs({{"__name__", "x"}, {"job", "a"}});
  auto out = strata::LabelsBuilder(base).Set("zone", "eu").Del("__name__").Set("job", "").Build();
  CHECK(out.ToString() == "{zone=\"eu\"}");
}

TEST_CASE("ValidateSortedLabels says what FromPairs says about the same labels") {
  const std::vector<std::vector<strata::Label>> cases = {
      {{"__name__", "up"}, {"job", "node"}},
      {{"__name__", "1bad"}},
      {{"a", "x"}, {"a", "y"}},
      {{"9a", "x"}},
      {{"a", std::string("\xff\xfe")}},
  };
  for (const auto& pairs : cases) {
    std::vector<strata::LabelRef> refs;
    for (const auto& l : pairs) refs.push_back({l.name, l.value});
    absl::Status view = strata::ValidateSortedLabels(refs);
    absl::StatusOr<strata::Labels> owned = strata::Labels::FromPairs(pairs);
    CHECK(view.ok() == owned.ok());
    if (!owned.ok()) CHECK(std::string(view.message()) == std::string(owned.status().message()));
    if (owned.ok()) CHECK(strata::HashSortedLabels(refs) == owned->Hash());
  }
}

// Names: [a-zA-Z_][a-zA-Z0-9_]* for labels, with ':' also allowed in metric names.
TEST_CASE("label and metric name characters, byte by byte") {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    INFO("byte " << c);
    CHECK(strata::IsValidLabelName(std::string(1, ch)) == alpha);
    CHECK(strata::IsValidLabelName("a" + std::string(1, ch) + "b") == (alpha || digit));
    CHECK(strata::IsValidMetricName(std::string(1, ch)) == (alpha || c == ':'));
    CHECK(strata::IsValidMetricName("a" + std::string(1, ch) + "b") == (alpha || digit || c == ':'));
  }
  CHECK_FALSE(strata::IsValidLabelName(""));
  CHECK_FALSE(strata::IsValidMetricName(""));
}

// The 8-byte ASCII fast path must not hide a bad byte at any position.
TEST_CASE("UTF-8 validation at every offset and length") {
  const std::vector<std::pair<std::string, bool>> pieces = {
      {"\xc3\xa9", true},          // é
      {"\xe2\x82\xac", true},      // €
      {"\xf0\x9f\x98\x80", true},  // 😀
      {"\xff", false},
      {"\xc3", false},              // truncated
      {"\xc0\x80", false},          // overlong
      {"\xed\xa0\x80", false},      // surrogate
      {"\xf4\x90\x80\x80", false},  // above U+10FFFF
  };
  for (const auto& [piece, valid] : pieces) {
    for (size_t before = 0; before <= 17; ++before) {
      for (size_t after : {0, 1, 7, 8, 9}) {
        std::string s = std::string(before, 'x') + piece + std::string(after, 'y');
        INFO("piece " << strata::CEscapeForMessage(piece) << " at " << before << " +" << after);
        CHECK(strata::IsValidUtf8(s) == valid);
      }
    }
  }
  CHECK(strata::IsValidUtf8(std::string(64, 'a')));
}

namespace {
// The definitions of Prometheus' name grammars, one byte at a time: what the word-wise
// checks in labels.cc must agree with.
bool ReferenceName(std::string_view s, bool metric) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("label and metric name checks agree with the grammar on every byte at every position") {
  // Every one- and two-byte string.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    REQUIRE(strata::IsValidLabelName(one) == ReferenceName(one, false));
    REQUIRE(strata::IsValidMetricName(one) == ReferenceName(one, true));
    for (int b = 0; b < 256; ++b) {
      std::string two = one + static_cast<char>(b);
      REQUIRE(strata::IsValidLabelName(two) == ReferenceName(two, false));
      REQUIRE(strata::IsValidMetricName(two) == ReferenceName(two, true));
    }
  }
  // One odd byte at each position of names of 1 to 40 bytes (across the 8-byte words
  // and the tail), and random names over the range edges.
  const std::string edges = std::string("/09:;@AZ[_`az{") + '\x7f' + '\x80' + '\xff' + '\0';
  std::mt19937 rng(5);
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (char odd : edges) {
        std::string s(len, 'k');
        s[pos] = odd;
        INFO("len=" << len << " pos=" << pos << " byte=" << int(static_cast<unsigned char>(odd)));
        REQUIRE(strata::IsValidLabelName(s) == ReferenceName(s, false));
        REQUIRE(strata::IsValidMetricName(s) == ReferenceName(s, true));
      }
    }
    for (int k = 0; k < 200; ++k) {
      std::string s;
      for (size_t i = 0; i < len; ++i) s += rng() % 3 == 0 ? edges[rng() % edges.size()] : char('a' + rng() % 26);
      REQUIRE(strata::IsValidLabelName(s) == ReferenceName(s, false));
      REQUIRE(strata::IsValidMetricName(s) == ReferenceName(s, true));
    }
  }
  CHECK_FALSE(strata::IsValidLabelName(""));
  CHECK_FALSE(strata::IsValidMetricName(""));
}
