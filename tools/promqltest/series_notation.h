// The value notation of PromQL test scripts (FORMAT.md sections 4 and 7.3): series
// lines, expansion items such as `0+10x5`, Go float/int syntax and the comparison
// tolerance.
//
//   auto vals = ExpandValues({"1+2x2", "_", "stale"});  // 1 3 5, omitted, stale NaN
//   AlmostEqual(1.0, 1.0 + 1e-9) == true
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::promqltest {

// One value item of a series description; nullopt-like `omitted` for `_`.
struct ExpandedValue {
  bool omitted = false;
  double v = 0;
};

// Expands the value items of a series line ("1+2x3 _ stale _x2 4") into one entry
// per interval step. InvalidArgument names the bad item.
absl::StatusOr<std::vector<ExpandedValue>> ExpandValues(const std::vector<std::string>& items);

// Go's strconv.ParseFloat for the test format (Inf, NaN, .5, 2., 1e3, +3, ...).
absl::StatusOr<double> ParseGoFloat(std::string_view s);

// Prometheus 2.42's almostEqual (relative tolerance 1e-6, NaN equals NaN).
bool AlmostEqual(double a, double b);

// Splits "name{l="v", ...} 1 2 3" into the series part and the value items
// (braces and quotes respected).
absl::Status SplitSeriesLine(std::string_view line, std::string* series,
                             std::vector<std::string>* items);

// An expected scalar line: Go's ParseInt(s, 0, 64) (0x1F, 0o17, 017, 1_000), else
// ParseFloat. nullopt when it is neither.
std::optional<double> ParseScalarLine(std::string_view s);

}  // namespace strata::promqltest
