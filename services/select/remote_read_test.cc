#include "services/select/remote_read.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace strata;

namespace {

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, std::move(n), std::move(v)); }

}  // namespace

TEST_CASE("remote_read request round trip keeps ranges and every matcher type") {
  std::vector<ReadQuery> in(2);
  in[0].start_ms = 1'700'000'000'000;
  in[0].end_ms = 1'700'000'300'000;
  in[0].matchers = {M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "job", ""),
                    M(MatchType::kRegexMatch, "instance", "a|b"), M(MatchType::kRegexNoMatch, "zone", "eu.*")};
  in[1].start_ms = -5;  // negative timestamps are two's complement varints
  in[1].end_ms = 0;
  in[1].matchers = {M(MatchType::kEqual, "__name__", "x")};
  auto out = DecodeReadRequest(EncodeReadRequest(in));
  REQUIRE(out.ok());
  REQUIRE(out->size() == 2);
  CHECK((*out)[0].start_ms == in[0].start_ms);
  CHECK((*out)[0].end_ms == in[0].end_ms);
  CHECK((*out)[0].matchers == in[0].matchers);
  CHECK((*out)[1].start_ms == -5);
  CHECK((*out)[1].matchers == in[1].matchers);
}

TEST_CASE("remote_read request decoding matches bytes written by Prometheus' gogo encoder") {
  // queries { start_timestamp_ms: 1000 end_timestamp_ms: 2000
  //           matchers { name: "__name__" value: "up" } matchers { type: RE name: "job" value: "a.*" }
  //           hints { step_ms: 15000 } }  accepted_response_types: [SAMPLES]
  const std::string matcher1 = std::string("\x12\x08__name__\x1a\x02up", 14);
  const std::string matcher2 = std::string("\x08\x02\x12\x03job\x1a\x03" "a.*", 12);
  const std::string hints = std::string("\x08\x98\x75", 3);
  std::string query = std::string("\x08\xe8\x07\x10\xd0\x0f", 6) + "\x1a" + char(matcher1.size()) + matcher1 +
                      "\x1a" + char(matcher2.size()) + matcher2 + "\x22" + char(hints.size()) + hints;
  std::string req = std::string("\x0a") + char(query.size()) + query + std::string("\x12\x01\x00", 3);
  auto out = DecodeReadRequest(req);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  CHECK((*out)[0].start_ms == 1000);
  CHECK((*out)[0].end_ms == 2000);
  REQUIRE((*out)[0].matchers.size() == 2);
  CHECK((*out)[0].matchers[0] == M(MatchType::kEqual, "__name__", "up"));
  CHECK((*out)[0].matchers[1] == M(MatchType::kRegexMatch, "job", "a.*"));
}

TEST_CASE("remote_read request errors") {
  CHECK(DecodeReadRequest(std::string("\x0a\x05\x08", 3)).status().code() == absl::StatusCode::kInvalidArgument);
  // Matcher type 7 does not exist.
  CHECK(DecodeReadRequest(std::string("\x0a\x04\x1a\x02\x08\x07", 6)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Bad regex.
  CHECK(DecodeReadRequest(std::string("\x0a\x0b\x1a\x09\x08\x02\x12\x01j\x1a\x02(\x5b", 13)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(DecodeReadRequest("").ok());
}

TEST_CASE("remote_read response encodes one result per query, samples bit-exact") {
  ReadResponseEncoder enc;
  Labels a = *Labels::FromPairs({{"__name__", "up"}, {"job", "api"}});
  Labels b = *Labels::FromPairs({{"__name__", "up"}, {"job", "web"}});
  enc.BeginResult();
  enc.AddSeries(a, {{1000, 1.5}, {2000, std::nan("")}, {3000, -0.0}});
  enc.AddSeries(b, {{-1000, 1e300}});
  enc.BeginResult();  // second query: empty result
  auto out = DecodeReadResponse(enc.Finish());
  REQUIRE(out.ok());
  REQUIRE(out->size() == 2);
  REQUIRE((*out)[0].size() == 2);
  CHECK((*out)[1].empty());
  CHECK((*out)[0][0].first == a);
  CHECK((*out)[0][1].first == b);
  const auto& s = (*out)[0][0].second;
  REQUIRE(s.size() == 3);
  CHECK(s[0].t == 1000);
  CHECK(s[0].v == 1.5);
  CHECK(std::isnan(s[1].v));
  CHECK(std::signbit(s[2].v));
  CHECK((*out)[0][1].second[0].t == -1000);
  CHECK(enc.Finish().empty());
}
