// Go-compatible float formatting, for every place where Prometheus prints a float64:
//
//   FormatFloatF(0.1)     == "0.1"        strconv.FormatFloat(v, 'f', -1, 64): label
//   FormatFloatF(1e21)    == "1000000000000000000000"   values made by count_values,
//                                          model.SampleValue.String()
//   FormatFloatG(1e21)    == "1e+21"      strconv.FormatFloat(v, 'g', -1, 64)
//   FormatFloatJson(1e-7) == "1e-07"      the HTTP API's sample value strings
//                                          ('f', but 'e' when |v| < 1e-6 or >= 1e21)
//
// All three use the shortest digit string that round-trips, and print +Inf as
// "+Inf", -Inf as "-Inf", NaN as "NaN", negative zero as "-0".
#pragma once

#include <string>

namespace strata::promql::fn {

std::string FormatFloatF(double v);
std::string FormatFloatG(double v);
std::string FormatFloatE(double v);  // strconv.FormatFloat(v, 'e', -1, 64): "1.5e+06"
std::string FormatFloatJson(double v);

// Same as FormatFloatF, the name the brief asked for (count_values, label values).
inline std::string FormatPromFloat(double v) { return FormatFloatF(v); }

}  // namespace strata::promql::fn
