// RowCollector: the one place every ingest protocol's rows are validated, limited,
// relabelled (--ha-replica-label, --extra-label) and encoded for the storage nodes
// (EncodedRows): label views are checked and copied once, straight into the wire form.
//
// Rejected rows are counted by reason in strata_insert_rows_rejected_total{reason}
// and reported to the client (first few messages) — never dropped silently.
#pragma once

#include <string>
#include <vector>

#include "libs/cluster/encoded_rows.h"
#include "libs/common/metrics.h"
#include "libs/ingest/row_sink.h"
#include "libs/model/tenant.h"
#include "services/insert/series_cache.h"

namespace strata {

struct IngestLimits {
  size_t max_labels_per_series = 40;
  size_t max_label_name_bytes = 256;
  size_t max_label_value_bytes = 4096;
  std::string ha_replica_label;            // dropped from every series when set
  std::vector<Label> extra_labels;         // added (replacing) to every series
};

class RowCollector : public ingest::RowSink {
 public:
  // `cache` (optional, shared between collectors of the same `limits`) remembers
  // what rows that carry RowView::raw_labels (remote_write) made of their labels.
  RowCollector(Tenant tenant, const IngestLimits& limits, CounterFamily* rejected, SeriesCache* cache = nullptr);

  void OnRow(const ingest::RowView& row) override { OnRows(std::span<const ingest::RowView>(&row, 1)); }
  void OnRows(std::span<const ingest::RowView> rows) override;
  void Expect(size_t rows, size_t bytes) override { rows_.Reserve(rows, bytes); }

  EncodedRows& rows() { return rows_; }
  uint64_t rejected() const { return rejected_; }
  // "reason: message" for the first few rejections.
  const std::vector<std::string>& messages() const { return messages_; }
  uint64_t samples() const { return samples_; }
  // Rows whose labels came from the cache, and cacheable rows that did not.
  uint64_t cache_hits() const { return cache_hits_; }
  uint64_t cache_misses() const { return cache_misses_; }

 private:
  // Counts a rejected row; returns false.
  bool Reject(const char* reason, std::string message);
  // Checks, relabels and sorts row.labels into scratch_; false (counted) if rejected.
  bool Prepare(const ingest::RowView& row);

  Tenant tenant_;
  const IngestLimits& limits_;
  CounterFamily* rejected_family_;
  SeriesCache* cache_;
  EncodedRows rows_;
  std::vector<LabelRef> scratch_;
  std::string scratch_entries_;
  // OnRows' look-ups: keys of the cacheable rows, their row indexes, and each row's
  // hit (encoded into rows_ as the cache answered, pushed in row order).
  struct Hit {
    EncodedRows::Row row;
    bool found;
  };
  std::vector<SeriesCache::Key> keys_;
  std::vector<uint32_t> keyed_rows_;
  std::vector<Hit> hits_;
  uint64_t rejected_ = 0;
  uint64_t samples_ = 0;
  uint64_t cache_hits_ = 0;
  uint64_t cache_misses_ = 0;
  std::vector<std::string> messages_;
};

}  // namespace strata
