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
  RowCollector(Tenant tenant, const IngestLimits& limits, CounterFamily* rejected);

  void OnRow(const ingest::RowView& row) override;
  void Expect(size_t rows, size_t bytes) override { rows_.Reserve(rows, bytes); }

  EncodedRows& rows() { return rows_; }
  uint64_t rejected() const { return rejected_; }
  // "reason: message" for the first few rejections.
  const std::vector<std::string>& messages() const { return messages_; }
  uint64_t samples() const { return samples_; }

 private:
  void Reject(const char* reason, std::string message);

  Tenant tenant_;
  const IngestLimits& limits_;
  CounterFamily* rejected_family_;
  EncodedRows rows_;
  std::vector<LabelRef> scratch_;
  uint64_t rejected_ = 0;
  uint64_t samples_ = 0;
  std::vector<std::string> messages_;
};

}  // namespace strata
