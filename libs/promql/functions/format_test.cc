#include "libs/promql/functions/format.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

namespace strata::promql::fn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST_CASE("FormatFloatF matches strconv 'f' -1", "[format]") {
  CHECK(FormatFloatF(0) == "0");
  CHECK(FormatFloatF(-0.0) == "-0");
  CHECK(FormatFloatF(1) == "1");
  CHECK(FormatFloatF(0.1) == "0.1");
  CHECK(FormatFloatF(-2.5) == "-2.5");
  CHECK(FormatFloatF(100) == "100");
  CHECK(FormatFloatF(1e20) == "100000000000000000000");  // count_values label in 2.42
  CHECK(FormatFloatF(1e21) == "1000000000000000000000");
  CHECK(FormatFloatF(1e-7) == "0.0000001");
  CHECK(FormatFloatF(123456.789) == "123456.789");
  CHECK(FormatFloatF(0.30000000000000004) == "0.30000000000000004");
  CHECK(FormatFloatF(kInf) == "+Inf");
  CHECK(FormatFloatF(-kInf) == "-Inf");
  CHECK(FormatFloatF(kNaN) == "NaN");
  std::string tiny = FormatFloatF(5e-324);
  CHECK(tiny.size() == 326);  // "0." + 323 zeros + "5"
  CHECK(tiny.back() == '5');
  CHECK(FormatFloatF(1.7976931348623157e308).size() == 309);
}

TEST_CASE("FormatFloatE and FormatFloatG match strconv", "[format]") {
  CHECK(FormatFloatE(1500000) == "1.5e+06");
  CHECK(FormatFloatE(0) == "0e+00");
  CHECK(FormatFloatE(-1e-300) == "-1e-300");
  CHECK(FormatFloatE(123.456) == "1.23456e+02");
  CHECK(FormatFloatG(100000) == "100000");
  CHECK(FormatFloatG(1e6) == "1e+06");
  CHECK(FormatFloatG(123456789) == "1.23456789e+08");
  CHECK(FormatFloatG(0.0001) == "0.0001");
  CHECK(FormatFloatG(0.00001) == "1e-05");
  CHECK(FormatFloatG(1e21) == "1e+21");
  CHECK(FormatFloatG(0) == "0");
  CHECK(FormatFloatG(-3.25) == "-3.25");
  CHECK(FormatFloatG(kNaN) == "NaN");
}

TEST_CASE("FormatFloatJson switches to exponent form like the HTTP API", "[format]") {
  CHECK(FormatFloatJson(1) == "1");
  CHECK(FormatFloatJson(0) == "0");
  CHECK(FormatFloatJson(0.000001) == "0.000001");
  CHECK(FormatFloatJson(1e-7) == "1e-07");
  CHECK(FormatFloatJson(1e20) == "100000000000000000000");
  CHECK(FormatFloatJson(1e21) == "1e+21");
  CHECK(FormatFloatJson(-1.5e-10) == "-1.5e-10");
  CHECK(FormatFloatJson(0.26666666666666666) == "0.26666666666666666");
  CHECK(FormatFloatJson(kInf) == "+Inf");
  CHECK(FormatFloatJson(kNaN) == "NaN");
  CHECK(FormatPromFloat(0.5) == "0.5");
}

}  // namespace
}  // namespace strata::promql::fn
