#include "libs/http/url.h"

#include <catch2/catch.hpp>
#include <random>

using namespace strata::http;

TEST_CASE("UrlDecode handles escapes and plus") {
  CHECK(*UrlDecode("a%20b%2Fc", false) == "a b/c");
  CHECK(*UrlDecode("a+b", true) == "a b");
  CHECK(*UrlDecode("a+b", false) == "a+b");
  CHECK(*UrlDecode("%7b%7D", true) == "{}");
  CHECK(*UrlDecode("", true) == "");
  for (const char* bad : {"%", "%2", "%zz", "abc%g1"}) {
    INFO(bad);
    auto r = UrlDecode(bad, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(r.status().message()).find("invalid URL escape") != std::string::npos);
  }
}

TEST_CASE("ParseQueryString keeps order and repeated keys") {
  auto p = ParseQueryString("match[]=up&match[]=%7Bjob%3D%22a%22%7D&step=15&&flag&empty=");
  REQUIRE(p.ok());
  ParamList want = {{"match[]", "up"}, {"match[]", "{job=\"a\"}"}, {"step", "15"}, {"flag", ""}, {"empty", ""}};
  CHECK(*p == want);
  CHECK_FALSE(ParseQueryString("a=%zz").ok());
  CHECK(ParseQueryString("")->empty());
}

TEST_CASE("EncodeQueryString round-trips through ParseQueryString") {
  ParamList params = {{"query", "rate(http_requests_total{job=\"a b\"}[5m]) / 2 + 1"},
                      {"match[]", "up"},
                      {"match[]", "ü&=%"},
                      {"k", ""}};
  std::string q = EncodeQueryString(params);
  CHECK(q.find(' ') == std::string::npos);
  CHECK(*ParseQueryString(q) == params);
  CHECK(UrlEncode("a b", false) == "a%20b");
  CHECK(UrlEncode("a b") == "a+b");
  CHECK(UrlEncode("AZaz09-_.~") == "AZaz09-_.~");
}

TEST_CASE("Random input: decoding never crashes and encoding round-trips") {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab%+=&2F7zZ \x01\xff?#[]";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    int len = static_cast<int>(rng() % 24);
    for (int i = 0; i < len; ++i) {
      s += (rng() % 4 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    (void)UrlDecode(s, true);
    auto parsed = ParseQueryString(s);
    if (parsed.ok()) {
      // Whatever parsed re-encodes to something that parses to the same pairs.
      CHECK(*ParseQueryString(EncodeQueryString(*parsed)) == *parsed);
    }
    CHECK(*UrlDecode(UrlEncode(s), true) == s);
    CHECK(*UrlDecode(UrlEncode(s, false), false) == s);
  }
}
