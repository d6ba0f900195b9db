// A Search answer (proto/storage.proto: SearchResponse) read in place: views into
// the message bytes, with no protobuf objects and no copy of the sample bytes.
//
// Parsing answers into protobuf objects copied every block's bytes into a fresh
// heap string: with the page faults of those copies, ~22 % of select's CPU for a
// histogram_quantile over head data (docs/benchmarks.md, "Dashboard queries",
// thirteenth session).
//
//   std::vector<SearchSeriesView> series;
//   STRATA_RETURN_IF_ERROR(ParseSearchResponse(message_bytes, &series));
//   for (const SearchSeriesView& s : series) {
//     STRATA_ASSIGN_OR_RETURN(Labels labels, LabelsOfSeriesView(s));
//     for (const BlockView& b : s.blocks) STRATA_RETURN_IF_ERROR(DecodeBlockView(b, mint, maxt, &samples));
//   }
//
// The views point into `message_bytes`, which must outlive them. Fields protobuf
// would accept are accepted (any order, unknown fields skipped, the last of a
// repeated scalar wins).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"

namespace strata {

// storage.v1.Block.
struct BlockView {
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  uint32_t samples = 0;
  std::string_view data;            // docs/format/block.md
  std::string_view raw_samples;     // 16 bytes a sample
  std::string_view packed_samples;  // docs/format/packed-samples.md
};

// storage.v1.SearchSeries.
struct SearchSeriesView {
  std::vector<LabelRef> labels;    // from `labels` (nodes that predate label_entries)
  std::string_view label_entries;  // serialized TimeSeries.labels entries
  absl::InlinedVector<BlockView, 2> blocks;
};

// Appends the series of a serialized SearchResponse to *out. DataLoss naming the
// field and byte offset when `message` is not one.
absl::Status ParseSearchResponse(std::string_view message, std::vector<SearchSeriesView>* out);

// Appends the block's samples within [min_t, max_t] to *out, whichever form it
// carries. DataLoss when it carries more than one or does not decode.
absl::Status DecodeBlockView(const BlockView& block, int64_t min_t, int64_t max_t, std::vector<Sample>* out);

// The series' labels, from label_entries when set, else from labels: sorted,
// validated, empty values dropped (as LabelsOfSearchSeries).
absl::StatusOr<Labels> LabelsOfSeriesView(const SearchSeriesView& series);

// Writing an answer (a storage node): the bytes protobuf writes for the same
// messages, built without a message object per series and block (building,
// serializing and destroying those was a quarter of a node's CPU for a
// 600-series search, docs/benchmarks.md, "Dashboard queries", eighteenth session).
//
//   std::string body, answer;
//   AppendLabelMessages(labels, &body);                   // or, after the blocks:
//   AppendBlockField(min_t, max_t, n, BlockPayload::kData, block_bytes, &body);
//   AppendLabelEntriesField(label_entries, &body);        //   label_entries
//   AppendSeriesField(body, &answer);                     // one SearchResponse.series
//
// A SearchResponse is its series fields one after another, so `answer` can hold any
// number of them.

// Which of Block's byte fields carries the samples (the value is the field number).
enum class BlockPayload : uint32_t { kData = 4, kRawSamples = 5, kPackedSamples = 6 };
// Appends one SearchSeries.blocks field (tag, length, Block bytes) to *out.
void AppendBlockField(int64_t min_time_ms, int64_t max_time_ms, uint32_t samples, BlockPayload kind,
                      std::string_view payload, std::string* out);
// Appends `labels` as SearchSeries.labels fields (Label messages) to *out.
void AppendLabelMessages(const Labels& labels, std::string* out);
// Appends SearchSeries.label_entries (nothing when empty, as protobuf) to *out.
void AppendLabelEntriesField(std::string_view entries, std::string* out);
// Appends one SearchResponse.series field holding the SearchSeries bytes `series`.
void AppendSeriesField(std::string_view series, std::string* out);

// SearchStream (proto/storage.proto, docs/format/search-stream.md): an answer's
// last message starts with SearchResponse.end, the search's status. A client reads
// it from the message's first bytes and knows the answer is complete.
//
//   std::string end;
//   AppendSearchEndField(status, &end);                  // node: `end`, then the series
//   absl::Status got;
//   switch (ReadSearchEnd(first_bytes, &got)) { ... }    // client
//
// Appends SearchResponse.end for `status` (code and message) to *out.
void AppendSearchEndField(const absl::Status& status, std::string* out);

enum class SearchEndRead {
  kNotEnd,      // the message does not start with `end`: more messages follow
  kEnd,         // it does; *status is the search's status
  kIncomplete,  // `first_bytes` ends inside the field: read again with more bytes
  kMalformed,   // it starts with `end`, which does not parse (*status says why)
};
// Reads the `end` field at the start of `first_bytes`, the first bytes of a message
// (all of it, or at least the first kSearchEndPeekBytes of a longer one). With kEnd,
// *field_bytes (when given) is the field's size: a message of that size holds no
// series.
SearchEndRead ReadSearchEnd(std::string_view first_bytes, absl::Status* status, size_t* field_bytes = nullptr);
// The prefix a client peeks at first; an `end` with a longer message needs more.
constexpr size_t kSearchEndPeekBytes = 256;
// The first byte of a message that starts with `end` (field 2, length-delimited).
constexpr uint8_t kSearchEndTag = (2 << 3) | 2;

// Sorted and validated labels from serialized TimeSeries.labels entries;
// InvalidArgument for an empty value or an invalid label.
absl::StatusOr<Labels> LabelsOfEntries(std::string_view label_entries);

}  // namespace strata
