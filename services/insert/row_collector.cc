#include "services/insert/row_collector.h"

#include <algorithm>

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
  for (const LabelRef& l : row.labels) {
    if (l.value.empty()) continue;  // an empty value means the label is absent
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
    scratch_.push_back(l);
  }
  for (const Label& extra : limits_.extra_labels) {
    std::erase_if(scratch_, [&](const LabelRef& l) { return l.name == extra.name; });
    if (!extra.value.empty()) scratch_.push_back(LabelRef{extra.name, extra.value});
  }
  // Names nearly always differ in their first byte: compared inline before memcmp.
  auto by_name = [](const LabelRef& a, const LabelRef& b) {
    if (!a.name.empty() && !b.name.empty() && a.name[0] != b.name[0]) {
      return static_cast<unsigned char>(a.name[0]) < static_cast<unsigned char>(b.name[0]);
    }
    return a.name < b.name;
  };
  // Prometheus and vmagent send labels sorted: checking is cheaper than sorting.
  if (!std::is_sorted(scratch_.begin(), scratch_.end(), by_name)) {
    std::sort(scratch_.begin(), scratch_.end(), by_name);
  }
  if (absl::Status s = ValidateSortedLabels(scratch_); !s.ok()) {
    return Reject("invalid_labels", std::string(s.message()));
  }
  if (scratch_.empty()) return Reject("empty_labels", "series has no labels");
  if (scratch_.size() > limits_.max_labels_per_series) {
    std::vector<Label> copy;
    for (const LabelRef& l : scratch_) copy.push_back(Label{std::string(l.name), std::string(l.value)});
    return Reject("too_many_labels", absl::StrCat("series ", Labels::FromSortedUnchecked(std::move(copy)).ToString(),
                                                  " has ", scratch_.size(), " labels, above --max-labels-per-series=",
                                                  limits_.max_labels_per_series));
  }
  samples_ += row.samples.size();
  rows_.Add(tenant_, scratch_, row.samples);
}

}  // namespace strata
