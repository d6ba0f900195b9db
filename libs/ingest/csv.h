// CSV import (/api/v1/import/csv?format=...) with VictoriaMetrics' column spec.
//
// The `format` query argument lists the columns that matter, 1-based:
//   format=2:metric:temperature,3:label:city,1:time:unix_s
// "N:metric:NAME" makes column N the value of metric NAME, "N:label:NAME" makes it the
// value of label NAME, "N:time:FORMAT" the sample time (FORMAT: unix_s, unix_ms,
// unix_ns, rfc3339, or custom:LAYOUT with a Go time layout such as
// custom:2006-01-02 15:04:05). Other columns are ignored. Each CSV line yields one row per
// metric column, all sharing the line's labels and time (opts.now_ms without a time
// column). Fields may be double-quoted ("a,b", "" for a quote), as in RFC 4180.
//
//   auto format = strata::ingest::CsvFormat::Parse("2:metric:t,1:label:city");
//   if (!format.ok()) return 400 with format.status().message();
//   strata::ingest::ParseResult result;
//   (void)strata::ingest::ParseCsv(body, *format, {.now_ms = now}, sink, &result);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

class CsvFormat {
 public:
  enum class Kind { kMetric, kLabel, kTime };
  enum class TimeFormat { kUnixS, kUnixMs, kUnixNs, kRfc3339, kCustom };
  struct Column {
    size_t index = 0;  // 0-based column number
    Kind kind = Kind::kMetric;
    std::string name;  // metric or label name; empty for kTime
    TimeFormat time_format = TimeFormat::kUnixMs;
    std::string time_layout;  // kCustom: the layout as an absl::ParseTime format
  };

  // Parses a format spec. InvalidArgument naming the bad entry when an entry is not
  // "N:kind:arg", N is not a positive integer, a kind or time format is unknown, a
  // custom layout has no Go layout element, a column is used twice, there are two
  // time columns or no metric column.
  static absl::StatusOr<CsvFormat> Parse(std::string_view spec);

  const std::vector<Column>& columns() const { return columns_; }  // sorted by index

 private:
  std::vector<Column> columns_;
};

// Translates a Go time layout ("2006-01-02T15:04:05.000Z07:00") into an
// absl::ParseTime format ("%Y-%m-%dT%H:%M:%E*S%Ez"). Supported elements: 2006 06
// January Jan 01 1 Monday Mon 02 _2 2 15 03 3 04 4 05 5 (with an optional .000/.999
// fraction; fractions are accepted either way) PM pm MST Z07:00 -07:00 Z0700 -0700.
// Everything else is literal. Sets *has_element to whether any element was found.
std::string GoLayoutToAbsl(std::string_view layout, bool* has_element);

struct CsvOptions {
  int64_t now_ms = 0;  // sample time when the format has no time column
};

// Parses every line of `body`. Always OK: problems are line errors (a missing column,
// a value or time that does not parse, an unterminated quote).
absl::Status ParseCsv(std::string_view body, const CsvFormat& format,
                      const CsvOptions& opts, RowSink& sink, ParseResult* result);

}  // namespace strata::ingest
