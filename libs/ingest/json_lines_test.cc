#include "libs/ingest/json_lines.h"

#include <bit>
#include <cmath>

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

TEST_CASE("json_lines: what /api/v1/export writes") {
  std::string body =
      R"({"metric":{"__name__":"up","job":"node","instance":"web-1:9100"},"values":[1,0,1],"timestamps":[1690000000000,1690000015000,1690000030000]})"
      "\n"
      R"({"metric":{"__name__":"temp","city":"Z\u00fcrich \"old\""},"values":[21.5,"NaN",-Infinity,"+Inf",NaN],"timestamps":[1,2,3,4,5]})"
      "\r\n\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseJsonLines(body, {}, sink, &result).ok());
  CHECK(result.errors.empty());
  REQUIRE(sink.rows.size() == 2);
  CHECK(result.samples == 8);
  CHECK(sink.rows[0].labels == "__name__=up,job=node,instance=web-1:9100");
  CHECK(sink.rows[0].samples ==
        std::vector<Sample>{{1690000000000, 1}, {1690000015000, 0}, {1690000030000, 1}});
  CHECK(sink.rows[1].labels == "__name__=temp,city=Z\xc3\xbcrich \"old\"");
  REQUIRE(sink.rows[1].samples.size() == 5);
  CHECK(sink.rows[1].samples[0].v == 21.5);
  CHECK(std::bit_cast<uint64_t>(sink.rows[1].samples[1].v) == kNormalNaNBits);
  CHECK(sink.rows[1].samples[2].v == -INFINITY);
  CHECK(sink.rows[1].samples[3].v == INFINITY);
  CHECK(std::bit_cast<uint64_t>(sink.rows[1].samples[4].v) == kNormalNaNBits);
}

TEST_CASE("json_lines: values keep full float64 precision (export round trip)") {
  std::string body =
      R"({"metric":{"__name__":"t"},"values":[15.690000000000001,0.1,1e-7,123456789.12345679],"timestamps":[1,2,3,4]})";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseJsonLines(body, {}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 1);
  REQUIRE(sink.rows[0].samples.size() == 4);
  CHECK(sink.rows[0].samples[0].v == 15.690000000000001);
  CHECK(sink.rows[0].samples[0].v != 15.69);
  CHECK(sink.rows[0].samples[1].v == 0.1);
  CHECK(sink.rows[0].samples[2].v == 1e-7);
  CHECK(sink.rows[0].samples[3].v == 123456789.12345679);
}

TEST_CASE("json_lines: zero with a large exponent is zero (fuzz regression)") {
  // RapidJSON 1.1.0 with kParseFullPrecisionFlag turned 0e61 into ~3e-114.
  std::string body = R"({"metric":{"__name__":"m"},"values":[0e61,0e-61,-0E+5],"timestamps":[1,2,3e0]})";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseJsonLines(body, {}, sink, &result).ok());
  INFO(result.Summary());
  REQUIRE(sink.rows.size() == 1);
  REQUIRE(sink.rows[0].samples.size() == 3);
  CHECK(sink.rows[0].samples[0].v == 0);
  CHECK(sink.rows[0].samples[1].v == 0);
  CHECK(sink.rows[0].samples[2].v == 0);
  CHECK(sink.rows[0].samples[2].t == 3);
}

TEST_CASE("json_lines: bad lines") {
  std::string body =
      R"({"metric":{"__name__":"a"},"values":[1],"timestamps":[1]})" "\n"
      R"({"metric":{"__name__":"a"},"values":[1,2],"timestamps":[1]})" "\n"
      R"({"metric":{"__name__":"a"},"values":[1]})" "\n"
      R"({"values":[1],"timestamps":[1]})" "\n"
      R"({"metric":{"a":1},"values":[1],"timestamps":[1]})" "\n"
      R"({"metric":{},"values":["x"],"timestamps":[1]})" "\n"
      R"({"metric":{},"values":[1],"timestamps":[1.5]})" "\n"
      R"({"metric":{},"values":[],"timestamps":[]})" "\n"
      R"({"metric":{} )" "\n"
      R"([1])" "\n"
      R"({"metric":{},"values":[1],"timestamps":[1]} x)" "\n"
      R"({"metric":{"__name__":"b"},"values":[2],"timestamps":[2.0]})" "\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseJsonLines(body, {}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[1].samples == std::vector<Sample>{{2, 2}});
  std::vector<std::string> want = {
      "\"values\" has 2 elements but \"timestamps\" has 1",
      "missing \"timestamps\" array",
      "missing \"metric\" object",
      "label \"a\" must have a string value",
      "values[0] is not a number",
      "timestamps[0] is not an integer number of milliseconds",
      "no samples",
      "malformed JSON at column 14: Missing a comma or '}' after an object member.",
      "want a JSON object",
      "malformed JSON at column 45: The document root must not be followed by other values.",
  };
  REQUIRE(result.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == i + 2);
    CHECK(result.errors[i].message == want[i]);
  }
  ParseResult r2;
  REQUIRE(ParseJsonLines(body, {.max_line_bytes = 10}, sink, &r2).ok());
  CHECK(r2.rejected_lines == 12);
  CHECK(r2.errors[0].message == "line longer than 10 bytes");
}

TEST_CASE("json_lines: deep nesting does not exhaust the stack") {
  std::string line = "{\"metric\":" + std::string(200000, '[') + "\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseJsonLines(line, {}, sink, &result).ok());
  CHECK(result.rejected_lines == 1);
}

}  // namespace
}  // namespace strata::ingest
