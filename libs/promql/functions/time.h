// Calendar functions of PromQL (all in UTC, proleptic Gregorian), as Prometheus
// computes them from a timestamp in seconds:
// time.Unix(int64(v), 0).UTC() -> day/month/year fields.
//
//   double d = fn::DayOfWeek(1136239445);      // 2006-01-02T22:04:05Z -> 1 (Monday)
//   // vector(time()) form: fn::Hour(eval_ts_ms / 1000.0)
//
// The argument is truncated toward zero to whole seconds first (Go's int64(v)). NaN,
// +-Inf and values beyond +-2^63 become INT64_MIN as on amd64, and the date is then
// computed with Go's wrap-around arithmetic: year(NaN) == 292277026596 and
// day_of_month(NaN) == 4, exactly what Prometheus 2.42 answers.
#pragma once

namespace strata::promql::fn {

double DayOfMonth(double unix_seconds);   // 1..31
double DayOfWeek(double unix_seconds);    // 0 = Sunday .. 6 = Saturday
double DayOfYear(double unix_seconds);    // 1..366
double DaysInMonth(double unix_seconds);  // 28..31
double Hour(double unix_seconds);         // 0..23
double Minute(double unix_seconds);       // 0..59
double Month(double unix_seconds);        // 1..12
double Year(double unix_seconds);         // e.g. 2024

}  // namespace strata::promql::fn
