#include "services/insert/row_collector.h"

#include "absl/strings/str_cat.h"
#include "libs/model/string_escape.h"

namespace strata {

RowCollector::RowCollector(Tenant tenant, const IngestLimits& limits, CounterFamily* rejected)
    : tenant_(tenant), limits_(limits), rejected_family_(rejected) {}

void RowCollector::Reject(const char* reason, std::string message) {
  ++rejected_;
  rejected_family_->WithLabels({reason}).Inc();
  if (messages_.size() < 10) messages_.push_back(std::move(message));
}

void RowCollector::OnRow(const ingest::RowView& row) {
  if (row.samples.empty()) return;
  scratch_.clear();
  for (const ingest::LabelView& l : row.labels) {
    if (!limits_.ha_replica_label.empty() && l.name == limits_.ha_replica_label) continue;
    if (l.name.size() > limits_.max_label_name_bytes) {
      return Reject("label_name_too_long",
                    absl::StrCat("label name of ", l.name.size(), " bytes is longer than --max-label-name-bytes=",
                                 limits_.max_label_name_bytes));
    }
    if (l.value.size() > limits_.max_label_value_bytes) {
      return Reject("label_value_too_long",
                    absl::StrCat("value of label \"", CEscapeForMessage(l.name), "\" has ", l.value.size(),
                                 " bytes, above --max-label-value-bytes=", limits_.max_label_value_bytes));
    }
    scratch_.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  for (const Label& extra : limits_.extra_labels) {
    std::erase_if(scratch_, [&](const Label& l) { return l.name == extra.name; });
    scratch_.push_back(extra);
  }
  absl::StatusOr<Labels> labels = Labels::FromPairs(std::move(scratch_));
  scratch_ = {};
  if (!labels.ok()) return Reject("invalid_labels", std::string(labels.status().message()));
  if (labels->empty()) return Reject("empty_labels", "series has no labels");
  if (labels->size() > limits_.max_labels_per_series) {
    return Reject("too_many_labels", absl::StrCat("series ", labels->ToString(), " has ", labels->size(),
                                                  " labels, above --max-labels-per-series=",
                                                  limits_.max_labels_per_series));
  }
  samples_ += row.samples.size();
  rows_.push_back(WriteRow{tenant_, *std::move(labels), std::vector<Sample>(row.samples.begin(), row.samples.end())});
}

}  // namespace strata
