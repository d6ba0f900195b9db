// Graphite plaintext protocol (TCP), with Graphite 1.1 tags.
//
//   servers.web01.cpu.user 42.5 1690000000
//   disk.used;host=web01;mount=/var 7.5e9 1690000000
//
// Each line is one row: __name__ = the path (with opts.prom_compatible_names, default,
// characters outside [a-zA-Z0-9_:] become '_': servers_web01_cpu_user), labels = the
// `;name=value` tags. The timestamp is Unix seconds (fractions allowed); a missing
// timestamp or -1 means opts.now_ms.
//
//   (void)strata::ingest::ParseGraphite(lines, {.now_ms = now}, sink, &result);
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct GraphiteOptions {
  int64_t now_ms = 0;
  bool prom_compatible_names = true;
};

// Parses every line of `body`. Always OK: problems are line errors.
absl::Status ParseGraphite(std::string_view body, const GraphiteOptions& opts,
                           RowSink& sink, ParseResult* result);

}  // namespace strata::ingest
