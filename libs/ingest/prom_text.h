// Prometheus text exposition format 0.0.4 (/api/v1/import/prometheus).
//
//   # HELP http_requests_total Requests.
//   # TYPE http_requests_total counter
//   http_requests_total{method="post",code="200"} 1027 1395066363000
//   go_goroutines 12
//
// Each sample line becomes one row with one sample. Comment lines (HELP, TYPE and any
// "#" line) and blank lines are skipped. Label values are unescaped (\\ \" \n). Values
// may be NaN, +Inf, -Inf. The optional timestamp is milliseconds; without it the sample
// gets opts.now_ms. opts.extra_labels (e.g. job/instance of the Pushgateway-style
// path) replace same-named labels of every line.
//
//   strata::ingest::PromTextOptions opts{.now_ms = now};
//   opts.extra_labels = {{"job", "batch"}};
//   (void)strata::ingest::ParsePromText(body, opts, sink, &result);
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "libs/ingest/row_sink.h"
#include "libs/model/labels.h"

namespace strata::ingest {

struct PromTextOptions {
  int64_t now_ms = 0;               // timestamp of samples that carry none
  std::vector<Label> extra_labels;  // added to every row, replacing input labels
};

// Parses every line of `body`. Always OK: problems are line errors.
absl::Status ParsePromText(std::string_view body, const PromTextOptions& opts,
                           RowSink& sink, ParseResult* result);

}  // namespace strata::ingest
