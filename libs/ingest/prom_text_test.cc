#include "libs/ingest/prom_text.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

constexpr int64_t kNow = 1690000000000;

TEST_CASE("prom_text: a node_exporter-style page") {
  std::string body =
      "# HELP node_load1 1m load average.\n"
      "# TYPE node_load1 gauge\n"
      "node_load1 0.42\n"
      "\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\",} 3 1395066363000\r\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "  spaced { a = \"1\" , b=\"2\" }   -Inf   \n"
      "nan_metric NaN\n"
      "pos +Inf 7\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParsePromText(body, {.now_ms = kNow}, sink, &result).ok());
  CHECK(result.rejected_lines == 0);
  REQUIRE(sink.rows.size() == 7);
  CHECK(result.rows == 7);
  CHECK(sink.rows[0].labels == "__name__=node_load1");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{kNow, 0.42}});
  CHECK(sink.rows[1].labels == "__name__=http_requests_total,method=post,code=200");
  CHECK(sink.rows[1].samples == std::vector<Sample>{{1395066363000, 1027}});
  CHECK(sink.rows[2].labels == "__name__=http_requests_total,method=post,code=400");
  CHECK(sink.rows[3].labels ==
        "__name__=msdos_file_access_time_seconds,path=C:\\DIR\\FILE.TXT,"
        "error=Cannot find file:\n\"FILE.TXT\"");
  CHECK(sink.rows[3].samples[0].v == 1.458255915e9);
  CHECK(sink.rows[4].labels == "__name__=spaced,a=1,b=2");
  CHECK(sink.rows[4].samples[0].v == -INFINITY);
  CHECK(std::bit_cast<uint64_t>(sink.rows[5].samples[0].v) == kNormalNaNBits);
  CHECK(sink.rows[6].samples == std::vector<Sample>{{7, INFINITY}});
}

TEST_CASE("prom_text: extra labels replace the page's labels") {
  PromTextOptions opts{.now_ms = kNow};
  opts.extra_labels = {{"job", "batch"}, {"instance", "h1"}};
  TestSink sink;
  ParseResult result;
  REQUIRE(ParsePromText("x{job=\"other\",a=\"b\"} 1\n", opts, sink, &result).ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "__name__=x,a=b,job=batch,instance=h1");
}

TEST_CASE("prom_text: bad lines are reported by line number, good ones kept") {
  std::string body =
      "good 1\n"
      "no_value\n"
      "bad_value abc\n"
      "bad_ts 1 12.5\n"
      "trailing 1 2 3\n"
      "x{a=\"1\" 1\n"
      "x{a=1} 1\n"
      "x{a=\"1} 1\n"
      "x{a=\"\\t\"} 1\n"
      "x{=\"1\"} 1\n"
      "x{a} 1\n"
      "{a=\"1\"} 1\n"
      "good 2\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParsePromText(body, {.now_ms = kNow}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[1].samples[0].v == 2);
  CHECK(result.rejected_lines == 11);
  REQUIRE(result.errors.size() == 11);
  std::vector<std::string> want = {
      "metric \"no_value\": missing value",
      "metric \"bad_value\": cannot parse value \"abc\"",
      "metric \"bad_ts\": cannot parse timestamp \"12.5\" (want integer milliseconds)",
      "metric \"trailing\": unexpected text after the timestamp: \"3\"",
      "metric \"x\": expected ',' or '}' after label \"a\"",
      "metric \"x\": value of label \"a\" must start with '\"'",
      "metric \"x\": unterminated value of label \"a\"",
      "metric \"x\": invalid escape \\t in value of label \"a\"",
      "metric \"x\": missing label name at column 3",
      "metric \"x\": missing '=' after label \"a\"",
      "missing metric name",
  };
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == i + 2);
    CHECK(result.errors[i].message == want[i]);
  }
  CHECK(result.Summary().rfind("11 lines rejected: line 2: metric \"no_value\"", 0) == 0);
}

TEST_CASE("prom_text: errors kept are capped, all are counted") {
  std::string body;
  for (int i = 0; i < 150; ++i) body += "bad x\n";
  body += "good 1\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParsePromText(body, {}, sink, &result).ok());
  CHECK(sink.rows.size() == 1);
  CHECK(result.rejected_lines == 150);
  CHECK(result.errors.size() == ParseResult::kMaxKeptErrors);
  CHECK(result.errors.back().line == 100);
  std::string summary = result.Summary();
  CHECK(summary.rfind("150 lines rejected: line 1: metric \"bad\": cannot parse value \"x\"; ", 0) == 0);
  CHECK(summary.substr(summary.size() - 13) == "; and 50 more");
  CHECK(ParseResult{}.Summary().empty());
}

}  // namespace
}  // namespace strata::ingest
