#include "libs/ingest/opentsdb.h"

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

constexpr int64_t kNow = 1690000000000;

TEST_CASE("opentsdb http: one object and an array") {
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseOpenTsdbHttp(
              R"({"metric":"sys.cpu.nice","timestamp":1346846400,"value":18,"tags":{"host":"web01","dc":"lga"}})",
              {.now_ms = kNow}, sink, &result)
              .ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "__name__=sys_cpu_nice,host=web01,dc=lga");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1346846400000, 18}});

  std::string arr = R"([
    {"metric":"sys.cpu.user","timestamp":1346846400123,"value":"9.5","tags":{"host":"web02"}},
    {"metric":"no.ts","value":1},
    {"metric":"zero.ts","timestamp":0,"value":2,"tags":{}},
    {"metric":"bad","timestamp":1,"tags":{"host":"x"}},
    {"metric":"","value":1},
    {"metric":"t","value":1,"tags":{"n":1}},
    {"metric":"t","value":true},
    7
  ])";
  TestSink s2;
  ParseResult r2;
  REQUIRE(ParseOpenTsdbHttp(arr, {.now_ms = kNow}, s2, &r2).ok());
  REQUIRE(s2.rows.size() == 3);
  CHECK(s2.rows[0].samples == std::vector<Sample>{{1346846400123, 9.5}});
  CHECK(s2.rows[1].samples == std::vector<Sample>{{kNow, 1}});
  CHECK(s2.rows[2].samples == std::vector<Sample>{{kNow, 2}});
  std::vector<std::string> want = {
      "data point 3: metric \"bad\": missing \"value\"",
      "data point 4: \"metric\" must be a non-empty string",
      "data point 5: metric \"t\": tag \"n\" must be a string",
      "data point 6: metric \"t\": \"value\" must be a number",
      "data point 7: not an object",
  };
  REQUIRE(r2.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(r2.errors[i].line == 0);
    CHECK(r2.errors[i].message == want[i]);
  }
}

TEST_CASE("opentsdb http: zero with a large exponent is zero (fuzz regression)") {
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseOpenTsdbHttp(R"([{"metric":"a","timestamp":1346846400,"value":0e61},)"
                            R"({"metric":"b","timestamp":1346846400,"value":0e-61}])",
                            {.now_ms = kNow}, sink, &result)
              .ok());
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[0].samples[0].v == 0);
  CHECK(sink.rows[1].samples[0].v == 0);
}

TEST_CASE("opentsdb http: unusable bodies") {
  TestSink sink;
  ParseResult result;
  absl::Status st = ParseOpenTsdbHttp("[{\"metric\":", {}, sink, &result);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).rfind("malformed OpenTSDB JSON at offset 11: ", 0) == 0);
  st = ParseOpenTsdbHttp("\"x\"", {}, sink, &result);
  CHECK(std::string(st.message()) ==
        "malformed OpenTSDB JSON: want a data point object or an array of them");
  CHECK(sink.rows.empty());
  // Deep nesting is an error, not a stack overflow.
  st = ParseOpenTsdbHttp(std::string(200000, '['), {}, sink, &result);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("opentsdb telnet: put lines") {
  std::string body =
      "put sys.cpu.nice 1346846400 18 host=web01 dc=lga\n"
      "put sys.if.bytes 1346846400500 2.5e3   iface=eth0\r\n"
      "\n"
      "version\n"
      "put x\n"
      "put x abc 1\n"
      "put x 1 abc\n"
      "put x 1 1 host\n"
      "put noTags 1346846400 1\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseOpenTsdbTelnet(body, {}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0].labels == "__name__=sys_cpu_nice,host=web01,dc=lga");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1346846400000, 18}});
  CHECK(sink.rows[1].labels == "__name__=sys_if_bytes,iface=eth0");
  CHECK(sink.rows[1].samples == std::vector<Sample>{{1346846400500, 2500}});
  CHECK(sink.rows[2].labels == "__name__=noTags");
  std::vector<std::pair<uint64_t, std::string>> want = {
      {4, "unknown command \"version\" (want put)"},
      {5, "want: put <metric> <timestamp> <value> [<tag>=<value> ...]"},
      {6, "metric \"x\": cannot parse timestamp \"abc\""},
      {7, "metric \"x\": cannot parse value \"abc\""},
      {8, "metric \"x\": tag \"host\" is not name=value"},
  };
  REQUIRE(result.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == want[i].first);
    CHECK(result.errors[i].message == want[i].second);
  }
}

}  // namespace
}  // namespace strata::ingest
