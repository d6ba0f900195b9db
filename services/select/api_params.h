// Parameters of the Prometheus HTTP API, parsed with Prometheus' rules and error
// texts: times (RFC 3339 or Unix seconds with fractions), durations (Prometheus
// syntax or float seconds), series selectors (`match[]`).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/matcher.h"

namespace strata {

// Prometheus' minTime / maxTime, the defaults of start/end in metadata APIs.
inline constexpr int64_t kApiMinTimeMs = -9223372036854775LL;  // as Prometheus: math.MinInt64/1e6
inline constexpr int64_t kApiMaxTimeMs = 9223372036854775LL;

// "1435781451.781", "1435781451", "2015-07-01T20:10:51.781Z". InvalidArgument:
// cannot parse "x" to a valid timestamp.
absl::StatusOr<int64_t> ParseApiTime(std::string_view s);
// "15s", "1m30s" or "15.5" (seconds); InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseApiDuration(std::string_view s);
// A series selector such as `up{job="x"}` (match[]): its matchers.
absl::StatusOr<Matchers> ParseSeriesSelector(std::string_view s);

}  // namespace strata
