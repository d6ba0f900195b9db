// EncodedRows: the rows of one ingest request, already in the storage wire form.
//
// Each row is kept as one serialized `WriteRequest.series` entry (field tag, length,
// TimeSeries bytes; proto/storage.proto), back to back in one buffer. Protobuf
// parses concatenated entries as one repeated field, so a WriteRequest for a storage
// node is just the concatenation of its rows' bytes: nothing is re-encoded per node,
// per replica or per retry, and a row costs no heap allocation of its own.
//
//   EncodedRows rows;
//   rows.Add(tenant, sorted_label_refs, samples);     // validated by the caller
//   for (size_t i = 0; i < rows.size(); ++i) {
//     rows.key(i);                                    // Labels::Hash(): placement key
//     request.append(rows.bytes(i));                  // part of a WriteRequest
//     // or rows.ref_bytes(i) for a node that holds the series (ADR 8)
//   }
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/model/tenant.h"

namespace strata {

class EncodedRows {
 public:
  // Appends one row. REQUIRES: `sorted` sorted by name, names unique, values
  // non-empty (ValidateSortedLabels passed), `samples` non-empty.
  void Add(Tenant tenant, std::span<const LabelRef> sorted, std::span<const Sample> samples);
  // The same with the labels already encoded (AppendLabelEntries of labels as Add
  // requires them) and their HashSortedLabels() in `key`.
  void AddEncoded(Tenant tenant, uint64_t key, std::string_view label_entries, std::span<const Sample> samples);

  // AddEncoded in two steps, for rows encoded out of order: Encode writes the row's
  // bytes and returns it without adding it; Push adds rows in the order they are
  // to have. Every encoded row must be pushed once, before the next Clear.
  struct Row {
    uint64_t key;
    uint64_t tenant_key;
    size_t offset;
    size_t ref_offset;
    uint32_t size;
    uint32_t ref_size;
    uint32_t samples;
  };
  Row Encode(Tenant tenant, uint64_t key, std::string_view label_entries, std::span<const Sample> samples);
  void Push(const Row& row) {
    rows_.push_back(row);
    total_samples_ += row.samples;
  }

  // Room for `rows` more rows whose input (e.g. a remote_write message) was `bytes`
  // long: rows of the storage wire take about as many bytes as remote_write's.
  void Reserve(size_t rows, size_t bytes);

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // The row's serialized WriteRequest.series entry.
  std::string_view bytes(size_t i) const { return std::string_view(buf_).substr(rows_[i].offset, rows_[i].size); }
  // The same row in reference form (series_id instead of labels; AppendRefEntry),
  // for a storage node that already holds the series.
  std::string_view ref_bytes(size_t i) const {
    return std::string_view(ref_buf_).substr(rows_[i].ref_offset, rows_[i].ref_size);
  }
  // Labels::Hash() of the row's labels: its rendezvous placement key, and the
  // series id a storage node files it under.
  uint64_t key(size_t i) const { return rows_[i].key; }
  uint64_t tenant_key(size_t i) const { return rows_[i].tenant_key; }
  uint32_t samples(size_t i) const { return rows_[i].samples; }
  uint64_t total_samples() const { return total_samples_; }
  size_t total_bytes() const { return buf_.size(); }

  void Clear();

 private:
  // Appends the reference form of the row whose full entry starts at `offset` of
  // buf_ (and runs to its end), and returns the row.
  Row Finish(Tenant tenant, uint64_t key, size_t offset, std::span<const Sample> samples);

  std::string buf_;
  std::string ref_buf_;
  std::vector<Row> rows_;
  uint64_t total_samples_ = 0;
};

}  // namespace strata
