#include "libs/ingest/graphite.h"

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

constexpr int64_t kNow = 1690000000000;

TEST_CASE("graphite: plain and tagged lines") {
  std::string body =
      "servers.web01.cpu.user 42.5 1690000000\n"
      "disk.used;host=web-01;mount=/var 7.5e9 1690000000.25\r\n"
      "   \n"
      "no.timestamp 3\n"
      "minus.one 4 -1\n"
      "9lives\t5\t1690000001\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseGraphite(body, {.now_ms = kNow}, sink, &result).ok());
  CHECK(result.errors.empty());
  REQUIRE(sink.rows.size() == 5);
  CHECK(sink.rows[0].labels == "__name__=servers_web01_cpu_user");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1690000000000, 42.5}});
  CHECK(sink.rows[1].labels == "__name__=disk_used,host=web-01,mount=/var");
  CHECK(sink.rows[1].samples == std::vector<Sample>{{1690000000250, 7.5e9}});
  CHECK(sink.rows[2].samples == std::vector<Sample>{{kNow, 3}});
  CHECK(sink.rows[3].samples == std::vector<Sample>{{kNow, 4}});
  CHECK(sink.rows[4].labels == "__name__=_9lives");
}

TEST_CASE("graphite: names kept as sent when asked") {
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseGraphite("a.b;x.y=1 2 3", {.now_ms = kNow, .prom_compatible_names = false}, sink,
                        &result).ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "__name__=a.b,x.y=1");
}

TEST_CASE("graphite: bad lines") {
  std::string body =
      "a.b\n"
      "a.b x 1\n"
      "a.b 1 y\n"
      "a.b 1 2 3\n"
      "a.b;host 1 2\n"
      "a.b;=v 1 2\n"
      ";x=y 1 2\n"
      "ok 1 2\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseGraphite(body, {.now_ms = kNow}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 1);
  std::vector<std::string> want = {
      "metric \"a.b\": missing value",
      "metric \"a.b\": cannot parse value \"x\"",
      "metric \"a.b\": cannot parse timestamp \"y\"",
      "unexpected text after the timestamp: \"3\"",
      "metric \"a.b\": tag \"host\" is not name=value",
      "metric \"a.b\": tag \"=v\" is not name=value",
      "empty metric name",
  };
  REQUIRE(result.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == i + 1);
    CHECK(result.errors[i].message == want[i]);
  }
}

}  // namespace
}  // namespace strata::ingest
