// RowSink: how every ingest parser hands parsed data to its caller.
//
// A parser reads a request body (or a chunk of a TCP line stream) in place and calls
// sink.OnRow() once per row: one series' labels plus one or more samples. Label and
// sample views point into the request buffer or into scratch memory the parser reuses
// from row to row, so parsing does not allocate per sample; the views are valid only
// during the callback (copy what you keep).
//
//   class Collect : public strata::ingest::RowSink {
//    public:
//     void OnRow(const strata::ingest::RowView& row) override {
//       for (const auto& l : row.labels) builder.Set(l.name, l.value);  // copies
//       ...
//     }
//   };
//   strata::ingest::ParseResult result;
//   absl::Status st = strata::ingest::ParseInflux(body, opts, sink, &result);
//   if (!st.ok()) return 400 with st.message();      // body unusable, nothing delivered
//   if (result.rejected_lines > 0) report result.errors (line formats keep valid lines)
//
// Parsers keep no state between calls: they may run concurrently on different bodies.
// For a TCP stream (Graphite, OpenTSDB telnet, Influx), call the line parser on each
// chunk of complete lines (up to the last '\n'); line numbers count from the chunk.
//
// Labels in a row are in input order (not sorted), may contain "__name__" (the metric
// name) and may contain duplicate names or empty values exactly as the input had them:
// validation (Labels::FromPairs) and limits are the caller's job, so that every
// protocol is checked by the same code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libs/model/labels.h"
#include "libs/model/sample.h"

namespace strata::ingest {

using LabelView = strata::LabelRef;

// One series' data. Views are valid only during RowSink::OnRow.
struct RowView {
  std::span<const LabelView> labels;
  std::span<const Sample> samples;
  // remote_write only: the bytes of the TimeSeries' `labels` fields as the client
  // sent them (tags included), when they are back to back; empty otherwise. Equal
  // bytes decode to equal `labels`, so a sink may key what it derives from them.
  std::string_view raw_labels;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once per parsed row, in input order. Must not throw.
  virtual void OnRow(const RowView& row) = 0;
  // The same for several rows at once, in input order (parsers that hold a whole
  // message's rows use it, so a sink can look things up for all of them together).
  virtual void OnRows(std::span<const RowView> rows) {
    for (const RowView& r : rows) OnRow(r);
  }
  // A hint some parsers give before their first OnRow: about `rows` rows are coming,
  // decoded from `bytes` bytes of input, so the sink can size its buffers once.
  virtual void Expect(size_t rows, size_t bytes) {}
};

// Why one line (or, for non-line formats, one element) was rejected.
struct ParseError {
  uint64_t line = 0;  // 1-based line number; 0 for formats without lines
  std::string message;
};

// Counters filled by every parser. A parser adds to them (it does not reset them), so
// one ParseResult can accumulate over several chunks of a stream.
struct ParseResult {
  static constexpr size_t kMaxKeptErrors = 100;

  uint64_t rows = 0;                    // OnRow calls
  uint64_t samples = 0;                 // samples delivered through OnRow
  uint64_t rejected_lines = 0;          // lines/elements rejected (all counted)
  std::vector<ParseError> errors;       // the first kMaxKeptErrors rejections
  uint64_t unsupported_histograms = 0;  // remote_write native histograms (not stored)
  uint64_t skipped_exemplars = 0;       // remote_write exemplars (not stored)
  uint64_t skipped_metadata = 0;        // remote_write metric metadata entries
  uint64_t skipped_string_fields = 0;   // Influx string fields (not numbers)

  // Counts one rejected line and keeps its message while fewer than kMaxKeptErrors
  // are kept.
  void AddError(uint64_t line, std::string message) {
    ++rejected_lines;
    if (errors.size() < kMaxKeptErrors) errors.push_back({line, std::move(message)});
  }
  // A one-line summary of the kept errors, e.g. for an HTTP 400 body:
  // "2 lines rejected: line 3: ...; line 9: ...".
  std::string Summary() const;
};

}  // namespace strata::ingest
