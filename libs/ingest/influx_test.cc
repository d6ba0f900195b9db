#include "libs/ingest/influx.h"

#include <catch2/catch.hpp>

#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

constexpr int64_t kNow = 1690000000000;

TEST_CASE("influx: lines in the style of the Influx docs") {
  std::string body =
      "# a comment\n"
      "weather,location=us-midwest,season=summer temperature=82,humidity=71i 1465839830100400200\n"
      "weather,location=us\\ east temperature=79.5 1465839830100400200\n"
      "cpu\\,01,host=server\\ A,path=C:\\\\dir,eq\\=k=v\\=1 usage_idle=99.5,up=true,note=\"a \\\"b\\\", c\" 1465839830100400200\n"
      "disk free=17u,ok=F\n"
      "\n";
  InfluxOptions opts{.db = "telegraf", .now_ms = kNow};
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseInflux(body, opts, sink, &result).ok());
  CHECK(result.errors.empty());
  CHECK(result.skipped_string_fields == 1);
  REQUIRE(sink.rows.size() == 7);
  CHECK(result.rows == 7);
  CHECK(sink.rows[0].labels ==
        "__name__=weather_temperature,location=us-midwest,season=summer,db=telegraf");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1465839830100, 82}});
  CHECK(sink.rows[1].labels ==
        "__name__=weather_humidity,location=us-midwest,season=summer,db=telegraf");
  CHECK(sink.rows[1].samples[0].v == 71);
  CHECK(sink.rows[2].labels == "__name__=weather_temperature,location=us east,db=telegraf");
  CHECK(sink.rows[3].labels ==
        "__name__=cpu,01_usage_idle,host=server A,path=C:\\dir,eq=k=v=1,db=telegraf");
  CHECK(sink.rows[4].labels == "__name__=cpu,01_up,host=server A,path=C:\\dir,eq=k=v=1,db=telegraf");
  CHECK(sink.rows[4].samples[0].v == 1);
  CHECK(sink.rows[5].labels == "__name__=disk_free,db=telegraf");
  CHECK(sink.rows[5].samples == std::vector<Sample>{{kNow, 17}});
  CHECK(sink.rows[6].samples == std::vector<Sample>{{kNow, 0}});
}

TEST_CASE("influx: precision, db tag, single field, empty measurement") {
  TestSink sink;
  ParseResult result;
  InfluxOptions opts{.precision = InfluxPrecision::kSeconds, .db = "x", .now_ms = kNow};
  opts.skip_single_field = true;
  REQUIRE(ParseInflux("m,db=own v=1 1690000000\nm a=1,b=2 -1\n", opts, sink, &result).ok());
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0].labels == "__name__=m,db=own");
  CHECK(sink.rows[0].samples[0].t == 1690000000000);
  CHECK(sink.rows[1].labels == "__name__=m_a,db=x");
  CHECK(sink.rows[1].samples[0].t == -1000);

  for (auto [p, ts, want] : std::vector<std::tuple<const char*, const char*, int64_t>>{
           {"ns", "1500000", 1}, {"n", "-1", -1}, {"u", "2000", 2}, {"us", "2000", 2},
           {"ms", "3", 3}, {"m", "2", 120000}, {"h", "1", 3600000}}) {
    auto prec = ParseInfluxPrecision(p);
    REQUIRE(prec.ok());
    TestSink s;
    ParseResult r;
    std::string line = std::string("m v=1 ") + ts;
    REQUIRE(ParseInflux(line, {.precision = *prec}, s, &r).ok());
    REQUIRE(s.rows.size() == 1);
    CHECK(s.rows[0].samples[0].t == want);
  }
  CHECK(std::string(ParseInfluxPrecision("d").status().message()) ==
        "unknown precision \"d\" (want ns, n, us, u, ms, s, m or h)");

  TestSink s2;
  REQUIRE(ParseInflux(",t=1 load=3", {}, s2, &result).ok());
  REQUIRE(s2.rows.size() == 1);
  CHECK(s2.rows[0].labels == "__name__=load,t=1");
}

TEST_CASE("influx: bad lines name the line and the field") {
  std::string body =
      "m v=1\n"
      "m\n"
      "m,t v=1\n"
      "m,t= v=1\n"
      "m v=abc\n"
      "m v=\"open\n"
      "m v=1 12x\n"
      "m v=1 1 2\n"
      "m v\n"
      "m v=NaN\n"
      "m =1\n"
      "m v=1 99999999999999999 \n"
      "m v=2\n";
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseInflux(body, {.precision = InfluxPrecision::kHours}, sink, &result).ok());
  REQUIRE(sink.rows.size() == 2);
  std::vector<std::string> want = {
      "measurement \"m\": missing fields",
      "measurement \"m\": tag \"t\" has no '='",
      "measurement \"m\": tag \"t\" has an empty value",
      "measurement \"m\": field \"v\": cannot parse value \"abc\"",
      "measurement \"m\": field \"v\": unterminated string",
      "measurement \"m\": cannot parse timestamp \"12x\"",
      "measurement \"m\": unexpected text after the timestamp: \"2\"",
      "measurement \"m\": field \"v\" has no '='",
      "measurement \"m\": field \"v\": cannot parse value \"NaN\"",
      "measurement \"m\": empty field key",
      "measurement \"m\": cannot parse timestamp \"99999999999999999\"",
  };
  REQUIRE(result.errors.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(result.errors[i].line == i + 2);
    CHECK(result.errors[i].message == want[i]);
  }
}

}  // namespace
}  // namespace strata::ingest
