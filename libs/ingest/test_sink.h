// TestSink: a RowSink for tests that copies every row. Test-only.
#pragma once

#include <string>
#include <vector>

#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct TestSink : RowSink {
  struct Row {
    std::string labels;  // "name=value,name=value" in input order
    std::vector<Sample> samples;
  };
  void OnRow(const RowView& row) override {
    Row r;
    for (const LabelView& l : row.labels) {
      if (!r.labels.empty()) r.labels += ',';
      r.labels.append(l.name).append("=").append(l.value);
    }
    r.samples.assign(row.samples.begin(), row.samples.end());
    rows.push_back(std::move(r));
  }
  std::vector<Row> rows;
};

}  // namespace strata::ingest
