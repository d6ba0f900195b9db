#include "libs/promql/functions/time.h"

#include <catch2/catch.hpp>
#include <limits>

namespace strata::promql::fn {
namespace {

TEST_CASE("date functions at the epoch", "[time]") {
  CHECK(Year(0) == 1970);
  CHECK(Month(0) == 1);
  CHECK(DayOfMonth(0) == 1);
  CHECK(DayOfYear(0) == 1);
  CHECK(DayOfWeek(0) == 4);  // Thursday
  CHECK(Hour(0) == 0);
  CHECK(Minute(0) == 0);
  CHECK(DaysInMonth(0) == 31);
}

TEST_CASE("date functions on 2006-01-02T22:04:05Z", "[time]") {
  const double t = 1136239445;
  CHECK(Year(t) == 2006);
  CHECK(Month(t) == 1);
  CHECK(DayOfMonth(t) == 2);
  CHECK(DayOfYear(t) == 2);
  CHECK(DayOfWeek(t) == 1);
  CHECK(Hour(t) == 22);
  CHECK(Minute(t) == 4);
}

TEST_CASE("date functions across year ends and leap years", "[time]") {
  CHECK(Year(1230767999) == 2008);
  CHECK(Year(1230768000) == 2009);
  CHECK(Month(1456790399) == 2);  // 2016-02-29 23:59:59
  CHECK(DayOfMonth(1456790399) == 29);
  CHECK(Month(1456790400) == 3);  // 2016-03-01
  CHECK(DayOfMonth(1456790400) == 1);
  CHECK(DayOfYear(1483191420) == 366);  // 2016-12-31
  CHECK(DayOfYear(1672493820) == 365);  // 2022-12-31
  CHECK(DaysInMonth(1454284800) == 29);  // Feb 2016
  CHECK(DaysInMonth(1485907200) == 28);  // Feb 2017
  CHECK(DaysInMonth(949363200) == 29);   // Feb 2000 (divisible by 400)
  CHECK(DaysInMonth(4105123200) == 28);  // Feb 2100 (divisible by 100)
  CHECK(DayOfYear(4107542400) == 60);    // 2100-03-01: no Feb 29 that year
  CHECK(DayOfWeek(4107542400) == 1);     // a Monday
  CHECK(DaysInMonth(1480550400) == 31);  // Dec 2016
}

TEST_CASE("date functions before the epoch and fractional seconds", "[time]") {
  CHECK(Year(-1) == 1969);
  CHECK(Month(-1) == 12);
  CHECK(DayOfMonth(-1) == 31);
  CHECK(Hour(-1) == 23);
  CHECK(Minute(-1) == 59);
  CHECK(DayOfWeek(-1) == 3);  // Wednesday
  // int64(-1.5) == -1 in Go: truncation toward zero, not floor.
  CHECK(Hour(-1.5) == 23);
  CHECK(Minute(59.9) == 0);
  CHECK(Year(-62135596800) == 1);  // 0001-01-01
}

TEST_CASE("date functions on NaN and huge values match Go's wrap-around", "[time]") {
  // promtool 2.42: year(NaN) = year(1e20) = 2.92277026596E+11, day_of_month(NaN) = 4.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Year(nan) == 292277026596.0);
  CHECK(DayOfMonth(nan) == 4);
  CHECK(Year(1e20) == 292277026596.0);
}

}  // namespace
}  // namespace strata::promql::fn
