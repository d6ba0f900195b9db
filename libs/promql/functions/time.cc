#include "libs/promql/functions/time.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace strata::promql::fn {

namespace {

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int yday;   // 1..366
  int wday;   // 0 = Sunday
  int hour;
  int minute;
};

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// This is a port of Go 1.19's time package date arithmetic (unsigned "absolute"
// seconds since year -292277022399), so that even the wrapped-around results Go
// produces for absurd inputs (NaN, 1e20) come out the same.
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kAbsoluteZeroYear = -292277022399;
constexpr int64_t kUnixToInternal = 62135596800;
constexpr int64_t kInternalToAbsolute = 9223371966579724800;
constexpr uint64_t kDaysPer400Years = 365 * 400 + 97;
constexpr uint64_t kDaysPer100Years = 365 * 100 + 24;
constexpr uint64_t kDaysPer4Years = 365 * 4 + 1;
constexpr int kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

Civil FromUnixSeconds(int64_t secs) {
  // Two's-complement wrap-around as in Go.
  uint64_t abs = static_cast<uint64_t>(secs) + static_cast<uint64_t>(kUnixToInternal) +
                 static_cast<uint64_t>(kInternalToAbsolute);
  Civil c{};
  uint64_t in_day = abs % kSecondsPerDay;
  c.hour = static_cast<int>(in_day / 3600);
  c.minute = static_cast<int>((in_day % 3600) / 60);
  // The absolute epoch is a Monday.
  c.wday = static_cast<int>(((abs + 1 * kSecondsPerDay) % (7 * kSecondsPerDay)) / kSecondsPerDay);

  uint64_t d = abs / kSecondsPerDay;
  uint64_t n = d / kDaysPer400Years;
  uint64_t y = 400 * n;
  d -= kDaysPer400Years * n;
  n = d / kDaysPer100Years;
  n -= n >> 2;
  y += 100 * n;
  d -= kDaysPer100Years * n;
  n = d / kDaysPer4Years;
  y += 4 * n;
  d -= kDaysPer4Years * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;

  c.year = static_cast<int64_t>(y) + kAbsoluteZeroYear;
  int yday = static_cast<int>(d);
  c.yday = yday + 1;

  int day = yday;
  if (IsLeap(c.year)) {
    if (day > 31 + 29 - 1) {
      --day;  // after the leap day: pretend it was not there
    } else if (day == 31 + 29 - 1) {
      c.month = 2;
      c.day = 29;
      return c;
    }
  }
  int month = day / 31;  // may be one too low
  int end = kDaysBefore[month + 1];
  int begin;
  if (day >= end) {
    ++month;
    begin = end;
  } else {
    begin = kDaysBefore[month];
  }
  c.month = month + 1;
  c.day = day - begin + 1;
  return c;
}

int DaysIn(int64_t year, int month) {
  if (month == 2 && IsLeap(year)) return 29;
  return kDaysBefore[month] - kDaysBefore[month - 1];
}

// Go's int64(v) on amd64: truncation toward zero; NaN and out-of-range values become
// the "integer indefinite" value INT64_MIN.
int64_t GoInt64(double v) {
  if (std::isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

template <typename F>
double Field(double unix_seconds, F f) {
  return static_cast<double>(f(FromUnixSeconds(GoInt64(unix_seconds))));
}

}  // namespace

double DayOfMonth(double s) {
  return Field(s, [](const Civil& c) { return c.day; });
}
double DayOfWeek(double s) {
  return Field(s, [](const Civil& c) { return c.wday; });
}
double DayOfYear(double s) {
  return Field(s, [](const Civil& c) { return c.yday; });
}
double DaysInMonth(double s) {
  return Field(s, [](const Civil& c) { return DaysIn(c.year, c.month); });
}
double Hour(double s) {
  return Field(s, [](const Civil& c) { return c.hour; });
}
double Minute(double s) {
  return Field(s, [](const Civil& c) { return c.minute; });
}
double Month(double s) {
  return Field(s, [](const Civil& c) { return c.month; });
}
double Year(double s) {
  return Field(s, [](const Civil& c) { return c.year; });
}

}  // namespace strata::promql::fn
