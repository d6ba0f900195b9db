#include "services/insert/row_collector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/model/string_escape.h"
#include "libs/rpc/write_wire.h"

namespace strata {

RowCollector::RowCollector(Tenant tenant, const IngestLimits& limits, CounterFamily* rejected, SeriesCache* cache)
    : tenant_(tenant), limits_(limits), rejected_family_(rejected), cache_(cache) {}

bool RowCollector::Reject(const char* reason, std::string message) {
  ++rejected_;
  rejected_family_->WithLabels({reason}).Inc();
  if (messages_.size() < 10) messages_.push_back(std::move(message));
  return false;
}

void RowCollector::OnRows(std::span<const ingest::RowView> rows) {
  keys_.clear();
  keyed_rows_.clear();
  auto has_raw = [](const ingest::RowView& r) { return !r.raw_labels.empty(); };
  if (cache_ != nullptr && std::any_of(rows.begin(), rows.end(), has_raw) && cache_->ShouldUse()) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].samples.empty() || rows[i].raw_labels.empty()) continue;
      keys_.push_back(SeriesCache::KeyOf(tenant_, rows[i].raw_labels));
      keyed_rows_.push_back(static_cast<uint32_t>(i));
    }
  }
  hits_.assign(keys_.size(), Hit{{}, false});
  if (!keys_.empty()) {
    cache_->GetMany(keys_, [&](size_t j, uint64_t placement_key, std::string_view entries) {
      hits_[j] = Hit{rows_.Encode(tenant_, placement_key, entries, rows[keyed_rows_[j]].samples), true};
    });
  }
  size_t j = 0;  // into keys_ / hits_
  uint64_t hits = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ingest::RowView& row = rows[i];
    if (row.samples.empty()) continue;
    const bool keyed = j < keyed_rows_.size() && keyed_rows_[j] == i;
    if (!keyed) {
      if (!Prepare(row)) continue;
      samples_ += row.samples.size();
      rows_.Add(tenant_, scratch_, row.samples);
      continue;
    }
    const Hit& h = hits_[j];
    const SeriesCache::Key& k = keys_[j];
    ++j;
    if (h.found) {
      ++hits;
      samples_ += row.samples.size();
      rows_.Push(h.row);
      continue;
    }
    if (!Prepare(row)) continue;  // rejections are not cached: they are counted every time
    samples_ += row.samples.size();
    scratch_entries_.clear();
    AppendLabelEntries(&scratch_entries_, scratch_);
    const uint64_t key = HashSortedLabels(scratch_);
    rows_.AddEncoded(tenant_, key, scratch_entries_, row.samples);
    cache_->Put(k, key, scratch_entries_);
  }
  if (!keys_.empty()) {
    cache_hits_ += hits;
    cache_misses_ += keys_.size() - hits;
    cache_->Record(hits, keys_.size() - hits);
  }
}

bool RowCollector::Prepare(const ingest::RowView& row) {
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
  return true;
}

}  // namespace strata
