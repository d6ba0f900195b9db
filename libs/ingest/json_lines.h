// JSON-lines import (/api/v1/import): the format /api/v1/export writes.
//
// One JSON object per line:
//   {"metric":{"__name__":"up","job":"node"},"values":[1,0.5],"timestamps":[1690000000000,1690000015000]}
// Each valid line becomes one row (all its samples). Bad lines are recorded in
// result->errors with their line number and skipped; the other lines are delivered.
//
//   strata::ingest::ParseResult result;
//   (void)strata::ingest::ParseJsonLines(body, {}, sink, &result);
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct JsonLinesOptions {
  // Longer lines are rejected (line error) without being parsed.
  size_t max_line_bytes = 16 << 20;
};

// Parses every line of `body`. Always OK (every problem is a line error): the status
// is kept for symmetry with the other parsers.
absl::Status ParseJsonLines(std::string_view body, const JsonLinesOptions& opts,
                            RowSink& sink, ParseResult* result);

}  // namespace strata::ingest
