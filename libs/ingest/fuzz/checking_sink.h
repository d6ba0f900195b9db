// CheckingSink: a RowSink for fuzzers and mutation tests. It reads every byte of
// every view it is given (so a dangling view shows up under ASan), and Verify()
// checks the parser's counters against what it saw. Test-only.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct CheckingSink : RowSink {
  void OnRow(const RowView& row) override {
    ++rows;
    samples += row.samples.size();
    for (const LabelView& l : row.labels) {
      for (char c : l.name) checksum = checksum * 31 + static_cast<uint8_t>(c);
      for (char c : l.value) checksum = checksum * 31 + static_cast<uint8_t>(c);
    }
    for (const Sample& s : row.samples) checksum += static_cast<uint64_t>(s.t);
  }

  // True when `result` agrees with the rows delivered here (result started empty),
  // and, when `failed`, nothing was delivered.
  bool Verify(const ParseResult& result, bool failed) const {
    if (result.rows != rows || result.samples != samples) return false;
    if (failed && rows != 0) return false;
    if (result.errors.size() > ParseResult::kMaxKeptErrors) return false;
    if (result.errors.size() > result.rejected_lines) return false;
    for (const ParseError& e : result.errors) {
      if (e.message.empty()) return false;
    }
    return true;
  }

  uint64_t rows = 0;
  uint64_t samples = 0;
  uint64_t checksum = 0;
};

}  // namespace strata::ingest
