// InfluxDB line protocol (HTTP /influx/write, /influx/api/v2/write and TCP).
//
//   weather,location=us-midwest,season=summer temperature=82,humidity=71i 1465839830100400200
//
// Each numeric field of a line becomes one row: metric name
// "<measurement><separator><field>" (separator "_", so weather_temperature), labels
// = the line's tags plus "db" (opts.db) unless a tag named db exists. Float, integer
// (`i`), unsigned (`u`) and boolean (t/T/true/True/TRUE → 1, f/... → 0) fields are
// stored; string fields are skipped and counted in result.skipped_string_fields.
// Backslash escapes: measurement `\,` `\ `; tag keys/values and field keys `\,` `\=`
// `\ `; string fields `\"` `\\`. Timestamps are in opts.precision (nanoseconds by
// default) and become milliseconds; without one the row gets opts.now_ms.
//
//   auto precision = strata::ingest::ParseInfluxPrecision(query["precision"]);
//   if (!precision.ok()) return 400;
//   strata::ingest::InfluxOptions opts{.precision = *precision, .db = query["db"], .now_ms = now};
//   (void)strata::ingest::ParseInflux(body, opts, sink, &result);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

enum class InfluxPrecision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Maps the `precision` query argument: "" / "ns" / "n" → ns, "us" / "u" / "µs" → us,
// "ms", "s", "m" (minutes, v1), "h" (hours, v1). InvalidArgument otherwise.
absl::StatusOr<InfluxPrecision> ParseInfluxPrecision(std::string_view s);

struct InfluxOptions {
  InfluxPrecision precision = InfluxPrecision::kNanoseconds;
  std::string db;               // value of the "db" label (v1 `db`, v2 `bucket`); "" = none
  int64_t now_ms = 0;           // timestamp of lines without one
  std::string separator = "_";  // between measurement and field
  // With exactly one field, name the metric after the measurement alone
  // (VictoriaMetrics' -influxSkipSingleField).
  bool skip_single_field = false;
};

// Parses every line of `body`. Always OK: problems are line errors.
absl::Status ParseInflux(std::string_view body, const InfluxOptions& opts, RowSink& sink,
                         ParseResult* result);

}  // namespace strata::ingest
