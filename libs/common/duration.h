// Durations in Prometheus syntax: one or more <int><unit> groups, units in
// decreasing order, each at most once: y (365d), w, d, h, m, s, ms.
//
//   ParseDuration("1h30m") -> 5'400'000 ms;  ParseDuration("0") -> 0
//   FormatDuration(5'400'000) -> "1h30m"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

// Parses `text` into milliseconds. "0" alone is accepted. Errors name the input
// and what was wrong (empty, unknown unit, units out of order, overflow).
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// The shortest Prometheus-syntax spelling of `ms` ("0s" for zero; negative values
// get a leading '-').
std::string FormatDuration(int64_t ms);

}  // namespace strata
