// OpenTSDB ingestion: HTTP /api/put JSON and the telnet "put" line protocol.
//
// HTTP body: one object or an array of them:
//   [{"metric":"sys.cpu.nice","timestamp":1346846400,"value":18,"tags":{"host":"web01"}}]
// Telnet (TCP, one command per line):
//   put sys.cpu.nice 1346846400 18 host=web01 dc=lga
//
// Each data point is one row: __name__ = metric, labels = tags. Timestamps are
// seconds, or milliseconds when the value is >= 1e10 (13 digits), as OpenTSDB decides;
// a missing or zero HTTP timestamp means opts.now_ms. Metric and tag names may
// contain characters Prometheus does not allow ('.', '-', '/'): with
// opts.prom_compatible_names (default) every such character becomes '_'
// (sys.cpu.nice → sys_cpu_nice), so series pass Labels::FromPairs; tag values are kept.
//
//   strata::ingest::OpenTsdbOptions opts{.now_ms = now};
//   absl::Status st = strata::ingest::ParseOpenTsdbHttp(body, opts, sink, &result);
//   (void)strata::ingest::ParseOpenTsdbTelnet(lines, opts, sink, &result);
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct OpenTsdbOptions {
  int64_t now_ms = 0;
  bool prom_compatible_names = true;
};

// Parses an HTTP put body. InvalidArgument when the body is not JSON or is neither an
// object nor an array (nothing delivered); a bad data point is an error with line 0
// and a message naming its array index, and the other points are delivered.
absl::Status ParseOpenTsdbHttp(std::string_view body, const OpenTsdbOptions& opts,
                               RowSink& sink, ParseResult* result);

// Parses telnet lines ("put metric timestamp value tag=v..."). Blank lines are
// skipped. Always OK: problems are line errors.
absl::Status ParseOpenTsdbTelnet(std::string_view body, const OpenTsdbOptions& opts,
                                 RowSink& sink, ParseResult* result);

}  // namespace strata::ingest
