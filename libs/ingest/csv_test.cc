#include "libs/ingest/csv.h"

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

constexpr int64_t kNow = 1690000000000;

TEST_CASE("csv: format spec") {
  auto f = CsvFormat::Parse("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  REQUIRE(f.ok());
  REQUIRE(f->columns().size() == 5);
  CHECK(f->columns()[0].kind == CsvFormat::Kind::kLabel);
  CHECK(f->columns()[0].name == "ticker");
  CHECK(f->columns()[4].time_format == CsvFormat::TimeFormat::kUnixS);

  std::vector<std::pair<std::string, std::string>> bad = {
      {"1:label:x", "CSV format \"1:label:x\" has no metric column"},
      {"1:metric", "bad CSV format entry \"1:metric\": want <column>:<metric|label|time>:<arg>"},
      {"0:metric:x", "bad CSV format entry \"0:metric:x\": the column must be a number from 1"},
      {"a:metric:x", "bad CSV format entry \"a:metric:x\": the column must be a number from 1"},
      {"1:metric:", "bad CSV format entry \"1:metric:\": missing name"},
      {"1:value:x", "bad CSV format entry \"1:value:x\": the type must be metric, label or time"},
      {"1:metric:x,2:time:unix_s,3:time:unix_ms",
       "bad CSV format entry \"3:time:unix_ms\": only one time column is allowed"},
      {"1:metric:x,2:time:iso",
       "bad CSV format entry \"2:time:iso\": time format must be unix_s, unix_ms, "
       "unix_ns, rfc3339 or custom:<layout>"},
      {"1:metric:x,2:time:custom:yyyy",
       "bad CSV format entry \"2:time:custom:yyyy\": the custom layout has no Go time "
       "element (e.g. 2006)"},
      {"1:metric:x,1:label:y", "bad CSV format entry \"1:label:y\": column used twice"},
      {"", "bad CSV format entry \"\": want <column>:<metric|label|time>:<arg>"},
  };
  for (const auto& [spec, msg] : bad) {
    auto st = CsvFormat::Parse(spec).status();
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(st.message()) == msg);
  }
}

TEST_CASE("csv: Go layouts become absl formats") {
  bool has = false;
  CHECK(GoLayoutToAbsl("2006-01-02T15:04:05.999999999Z07:00", &has) == "%Y-%m-%dT%H:%M:%E*S%Ez");
  CHECK(has);
  CHECK(GoLayoutToAbsl("Monday, 2-Jan-06 3:4:5 pm MST", &has) == "%A, %d-%b-%y %I:%M:%E*S %p %Z");
  CHECK(GoLayoutToAbsl("100%", &has) == "%m00%%");
  CHECK(GoLayoutToAbsl("abc", &has) == "abc");
  CHECK_FALSE(has);
}

TEST_CASE("csv: rows per metric column, quoting, time formats") {
  auto f = CsvFormat::Parse("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  REQUIRE(f.ok());
  std::string body =
      "GOOG,1.23,4.56,NYSE,1690000000\n"
      "\"MS,FT\",3.21,,\"NAS\"\"DAQ\",1690000001.5\r\n"
      "\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseCsv(body, *f, {.now_ms = kNow}, sink, &result).ok());
  CHECK(result.errors.empty());
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0].labels == "__name__=ask,ticker=GOOG,market=NYSE");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1690000000000, 1.23}});
  CHECK(sink.rows[1].labels == "__name__=bid,ticker=GOOG,market=NYSE");
  CHECK(sink.rows[1].samples == std::vector<Sample>{{1690000000000, 4.56}});
  CHECK(sink.rows[2].labels == "__name__=ask,ticker=MS,FT,market=NAS\"DAQ");
  CHECK(sink.rows[2].samples == std::vector<Sample>{{1690000001500, 3.21}});

  for (auto [spec, cell, want] : std::vector<std::tuple<const char*, const char*, int64_t>>{
           {"1:metric:m,2:time:unix_ms", "1690000000123", 1690000000123},
           {"1:metric:m,2:time:unix_ns", "1690000000123456789", 1690000000123},
           {"1:metric:m,2:time:rfc3339", "2023-07-22T04:26:40.5Z", 1690000000500},
           {"1:metric:m,2:time:rfc3339", "2023-07-22T06:26:40+02:00", 1690000000000},
           {"1:metric:m,2:time:custom:2006-01-02 15:04:05", "2023-07-22 04:26:40", 1690000000000},
           {"1:metric:m,2:time:custom:2006-01-02 15:04:05.000", "2023-07-22 04:26:40.250",
            1690000000250},
           {"1:metric:m,2:time:custom:02/Jan/2006:15:04:05 -0700", "22/Jul/2023:06:26:40 +0200",
            1690000000000},
           {"1:metric:m,2:time:custom:Mon Jan _2 03:04:05 PM 2006", "Sat Jul 22 04:26:40 AM 2023",
            1690000000000},
       }) {
    auto g = CsvFormat::Parse(spec);
    REQUIRE(g.ok());
    TestSink s;
    ParseResult r;
    REQUIRE(ParseCsv(std::string("7,") + cell, *g, {}, s, &r).ok());
    INFO(cell);
    REQUIRE(s.rows.size() == 1);
    CHECK(s.rows[0].samples == std::vector<Sample>{{want, 7}});
  }
  auto g = CsvFormat::Parse("1:metric:m");
  TestSink s;
  ParseResult r;
  REQUIRE(ParseCsv("5", *g, {.now_ms = kNow}, s, &r).ok());
  CHECK(s.rows[0].samples == std::vector<Sample>{{kNow, 5}});
}

TEST_CASE("csv: bad lines") {
  auto f = CsvFormat::Parse("1:label:host,2:metric:cpu,3:time:rfc3339");
  REQUIRE(f.ok());
  std::string body =
      "web1,0.5,2023-07-22T04:26:40Z\n"
      "web1,0.5\n"
      "web1,abc,2023-07-22T04:26:40Z\n"
      "web1,0.5,yesterday\n"
      "\"web1,0.5,2023-07-22T04:26:40Z\n"
      "\"web1\"x,0.5,2023-07-22T04:26:40Z\n"
      "web2,0.7,2023-07-22T04:26:40Z\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseCsv(body, *f, {}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 2);
  std::vector<std::string> want = {
      "missing column 3 (the line has 2)",
      "column 2: cannot parse value \"abc\" of metric \"cpu\"",
      "column 3: cannot parse time \"yesterday\"",
      "unterminated quoted field in column 1",
      "text after the closing quote in column 1",
  };
  REQUIRE(result.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == i + 2);
    CHECK(result.errors[i].message == want[i]);
  }
}

}  // namespace
}  // namespace strata::ingest
