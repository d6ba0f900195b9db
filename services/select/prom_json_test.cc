#include "services/select/prom_json.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

using namespace strata;

TEST_CASE("JSON strings escape like Go's encoder") {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\n<>&\x01\xff\xe2\x80\xa8z");
  CHECK(out == "\"a\\\"b\\\\c\\n\\u003c\\u003e\\u0026\\u0001\\ufffd\\u2028z\"");
}

TEST_CASE("timestamps as Prometheus prints them") {
  auto ts = [](int64_t t) {
    std::string s;
    AppendTimestamp(&s, t);
    return s;
  };
  CHECK(ts(1435781451781) == "1435781451.781");
  CHECK(ts(1435781451000) == "1435781451");
  CHECK(ts(1050) == "1.050");
  CHECK(ts(1005) == "1.005");
  CHECK(ts(-1500) == "-1.500");
}

TEST_CASE("sample values and result shapes") {
  std::string p;
  AppendPoint(&p, 1000, std::numeric_limits<double>::infinity());
  CHECK(p == "[1,\"+Inf\"]");
  p.clear();
  AppendPoint(&p, 1000, NAN);
  CHECK(p == "[1,\"NaN\"]");
  p.clear();
  AppendPoint(&p, 1000, 0.1);
  CHECK(p == "[1,\"0.1\"]");

  promql::Result r;
  r.type = promql::ValueType::kVector;
  r.vector.push_back({*Labels::FromPairs({{"__name__", "up"}, {"job", "a"}}), 2000, 1});
  std::string data;
  AppendResultData(&data, r);
  CHECK(data == R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[2,"1"]}]})");
  CHECK(SuccessJson("[]", {"w1"}, true) == R"({"status":"success","isPartial":true,"data":[],"warnings":["w1"]})");
  CHECK(ErrorJson("bad_data", "x") == R"({"status":"error","errorType":"bad_data","error":"x"})");
  promql::Result s;
  s.type = promql::ValueType::kScalar;
  s.scalar = {1500, 2.5};
  data.clear();
  AppendResultData(&data, s);
  CHECK(data == R"({"resultType":"scalar","result":[1.5,"2.5"]})");
}

TEST_CASE("scalar and string timestamps print as Go floats, not as vector timestamps (api_compare regression)") {
  // Prometheus marshals Scalar/String as float64(t)/1000 with encoding/json.
  promql::Result s;
  s.type = promql::ValueType::kScalar;
  s.scalar = {1795585920250, 7};
  std::string data;
  AppendResultData(&data, s);
  CHECK(data == R"({"resultType":"scalar","result":[1795585920.25,"7"]})");
  s.scalar = {1795585920123, 7};
  data.clear();
  AppendResultData(&data, s);
  CHECK(data == R"({"resultType":"scalar","result":[1795585920.123,"7"]})");
  s.scalar = {-1500, 7};
  data.clear();
  AppendResultData(&data, s);
  CHECK(data == R"({"resultType":"scalar","result":[-1.5,"7"]})");
  promql::Result str;
  str.type = promql::ValueType::kString;
  str.string.t = 1795585920000;
  str.string.v = "a";
  data.clear();
  AppendResultData(&data, str);
  CHECK(data == R"({"resultType":"string","result":[1795585920,"a"]})");
}
