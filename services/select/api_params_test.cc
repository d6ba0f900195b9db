#include "services/select/api_params.h"

#include <catch2/catch.hpp>

using namespace strata;

TEST_CASE("API times: Unix seconds with fractions and RFC 3339") {
  CHECK(*ParseApiTime("1435781451.781") == 1435781451781);
  CHECK(*ParseApiTime("1435781451") == 1435781451000);
  CHECK(*ParseApiTime("2015-07-01T20:10:51.781Z") == 1435781451781);
  CHECK(*ParseApiTime("2015-07-01T22:10:51+02:00") == 1435781451000);
  auto bad = ParseApiTime("yesterday");
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()) == "cannot parse \"yesterday\" to a valid timestamp");
}

TEST_CASE("API durations: Prometheus syntax or float seconds") {
  CHECK(*ParseApiDuration("15s") == 15000);
  CHECK(*ParseApiDuration("1m30s") == 90000);
  CHECK(*ParseApiDuration("15.5") == 15500);
  CHECK(!ParseApiDuration("fast").ok());
}

TEST_CASE("series selectors") {
  auto ms = ParseSeriesSelector("up{job=~\"a|b\"}");
  REQUIRE(ms.ok());
  CHECK(ms->size() == 2);
  CHECK(!ParseSeriesSelector("sum(up)").ok());
  CHECK(!ParseSeriesSelector("up{").ok());
}
