// The WriteRequest wire form (proto/storage.proto), written and read in place.
//
// Ingest moves millions of small rows a second; building and parsing protobuf
// messages for them (a std::string per label, an object per sample) was most of the
// write path's CPU. These functions produce and consume the same bytes protobuf does
// (a WriteRequest is a sequence of `series` entries: tag 0x0a, varint length,
// TimeSeries bytes), without per-row allocations:
//
//   std::string req;
//   AppendSeriesEntry(&req, tenant, sorted_label_refs, samples);  // one per row
//
//   DecodedWrite d;
//   STRATA_RETURN_IF_ERROR(DecodeWriteRequest(req, &d));  // InvalidArgument if malformed
//   for (const DecodedRow& row : d.rows) {
//     row.labels;                         // the row's Label entries, bytes as sent
//     d.SamplesOf(row);                   // its samples, decoded
//   }
//   STRATA_RETURN_IF_ERROR(LabelRefsOf(row.labels, &refs));  // views of name/value
//
// Fields protobuf would accept are accepted: any order, repeated scalars (last wins),
// unknown fields skipped. A row whose labels are not contiguous (another field in
// between) gets its label entries gathered into a contiguous copy.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/model/tenant.h"

namespace strata {

// Appends one WriteRequest.series entry. Labels are written in the given order.
void AppendSeriesEntry(std::string* out, Tenant tenant, std::span<const LabelRef> labels,
                       std::span<const Sample> samples);
// The same with the labels already encoded as Label entries (DecodedRow::labels).
void AppendSeriesEntry(std::string* out, Tenant tenant, std::string_view label_entries,
                       std::span<const Sample> samples);

// Appends one WriteRequest.series entry in reference form: no labels, the series'
// Labels::Hash() in TimeSeries.series_id instead (docs/format/ingest.md). A storage
// node accepts it only for a series it holds (see proto/storage.proto).
void AppendRefEntry(std::string* out, Tenant tenant, uint64_t series_id, std::span<const Sample> samples);

// Appends `labels` as TimeSeries.labels entries (tag 0x1a, length, Label bytes),
// in the given order: the form LabelRefsOf reads.
void AppendLabelEntries(std::string* out, std::span<const LabelRef> labels);

struct DecodedRow {
  Tenant tenant;
  std::string_view labels;  // the TimeSeries' `labels` entries (tag, length, Label bytes)...
  uint64_t series_id = 0;    // TimeSeries.series_id, when has_series_id (a reference row)
  bool has_series_id = false;
  uint32_t first_sample = 0;
  uint32_t num_samples = 0;
};

struct DecodedWrite {
  std::vector<DecodedRow> rows;
  std::vector<Sample> samples;     // every row's samples, row after row
  std::deque<std::string> gathered;  // label entries of rows that interleaved them

  std::span<Sample> SamplesOf(const DecodedRow& r) { return {samples.data() + r.first_sample, r.num_samples}; }
  void Clear();
};

// Decodes a serialized WriteRequest into *out (cleared first). Label messages are
// only delimited here, not read: see LabelRefsOf. InvalidArgument naming the
// problem and its byte offset when `raw` is not a WriteRequest.
absl::Status DecodeWriteRequest(std::string_view raw, DecodedWrite* out);

// Views of the name and value of each Label entry in `label_entries`, in order
// (appended to *out). InvalidArgument when an entry is malformed.
absl::Status LabelRefsOf(std::string_view label_entries, std::vector<LabelRef>* out);

}  // namespace strata
