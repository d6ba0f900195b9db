// StorageEngine: the read path — series selection, blocks, labels, cardinality.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/encoding/block.h"
#include "libs/model/dedup.h"
#include "libs/rpc/proto_convert.h"
#include "libs/storage/engine.h"
#include "libs/storage/key_format.h"
#include "rocksdb/iterator.h"

namespace strata::storage {
namespace {

absl::Status CheckRange(int64_t mint, int64_t maxt) {
  if (mint > maxt) {
    return absl::InvalidArgumentError(absl::StrCat("min_time_ms ", mint, " is after max_time_ms ", maxt));
  }
  return absl::OkStatus();
}

// Request times of 0/0 mean "all time", as Prometheus' label APIs default.
void DefaultRange(int64_t* mint, int64_t* maxt) {
  if (*mint == 0 && *maxt == 0) {
    *mint = kMinTime;
    *maxt = kMaxTime;
  }
}

}  // namespace

absl::StatusOr<std::vector<uint64_t>> StorageEngine::SelectSeries(uint64_t tenant, const Matchers& ms, int64_t mint,
                                                                  int64_t maxt, std::vector<uint32_t>* days) const {
  uint32_t lo = DayOf(mint), hi = DayOf(maxt);
  std::vector<uint64_t> all;
  for (uint32_t day : index_->Days()) {
    if (day < lo || day > hi) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->Select(day, tenant, ms));
    if (ids.empty()) continue;
    if (days != nullptr) days->push_back(day);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

absl::Status StorageEngine::CollectBlocks(uint64_t tenant, uint64_t sid, const std::vector<uint32_t>& days,
                                          int64_t mint, int64_t maxt,
                                          google::protobuf::RepeatedPtrField<pb::Block>* out) const {
  for (uint32_t day : days) {
    std::string prefix = BlockPrefix(day, tenant, sid);
    std::string upper = PrefixSuccessor(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->blocks()));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      BlockValue bv;
      if (!DecodeBlockValue(std::string_view(it->value().data(), it->value().size()), &bv)) {
        return absl::DataLossError(absl::StrCat("corrupt block record for series ", sid));
      }
      if (bv.max_t < mint || bv.min_t > maxt) continue;
      pb::Block* b = out->Add();
      b->set_min_time_ms(bv.min_t);
      b->set_max_time_ms(bv.max_t);
      b->set_samples(bv.count);
      b->set_data(bv.data.data(), bv.data.size());
    }
    STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "block scan"));
  }
  std::vector<Sample> head;
  ReadUnpersisted(HeadKey{tenant, sid}, mint, maxt, &head);
  if (!head.empty()) {
    SortAndCollapse(&head);
    pb::Block* b = out->Add();
    b->set_min_time_ms(head.front().t);
    b->set_max_time_ms(head.back().t);
    b->set_samples(static_cast<uint32_t>(head.size()));
    EncodeBlock(head, b->mutable_data());
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::Search(const pb::SearchRequest& req, const SeriesCallback& emit) {
  stats_.searches++;
  STRATA_RETURN_IF_ERROR(CheckRange(req.min_time_ms(), req.max_time_ms()));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<uint32_t> days;
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                          SelectSeries(tenant, ms, req.min_time_ms(), req.max_time_ms(), &days));
  if (req.max_series() > 0 && ids.size() > req.max_series()) {
    return absl::ResourceExhaustedError(absl::StrCat("the search matches ", ids.size(),
                                                     " series, above the limit of ", req.max_series()));
  }
  for (uint64_t sid : ids) {
    pb::SearchSeries series;
    absl::StatusOr<Labels> labels = index_->SeriesLabels(tenant, sid);
    if (absl::IsNotFound(labels.status())) continue;  // deleted meanwhile
    if (!labels.ok()) return labels.status();
    if (!req.labels_only()) {
      STRATA_RETURN_IF_ERROR(
          CollectBlocks(tenant, sid, days, req.min_time_ms(), req.max_time_ms(), series.mutable_blocks()));
      if (series.blocks_size() == 0) continue;  // indexed in the partition, no samples in range
    }
    LabelsToProto(*labels, series.mutable_labels());
    stats_.search_series++;
    if (!emit(std::move(series))) return absl::CancelledError("search cancelled by the client");
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::LabelNames(const pb::LabelNamesRequest& req, pb::LabelNamesResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<std::string> names;
  if (ms.empty()) {
    for (uint32_t day : index_->Days()) {
      if (day < DayOf(mint) || day > DayOf(maxt)) continue;
      STRATA_RETURN_IF_ERROR(index_->AllLabelNames(day, tenant, &names));
    }
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
    for (uint64_t sid : ids) {
      absl::StatusOr<Labels> labels = index_->SeriesLabels(tenant, sid);
      if (!labels.ok()) continue;
      for (const Label& l : *labels) names.push_back(l.name);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::erase(names, std::string());  // the all-series posting list
  for (const std::string& n : names) {
    if (req.limit() > 0 && static_cast<uint64_t>(resp->names_size()) >= req.limit()) break;
    resp->add_names(n);
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::LabelValues(const pb::LabelValuesRequest& req, pb::LabelValuesResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  if (req.name().empty()) return absl::InvalidArgumentError("label name is empty");
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<std::string> values;
  if (ms.empty()) {
    for (uint32_t day : index_->Days()) {
      if (day < DayOf(mint) || day > DayOf(maxt)) continue;
      STRATA_RETURN_IF_ERROR(index_->AllLabelValues(day, tenant, req.name(), &values));
    }
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
    for (uint64_t sid : ids) {
      absl::StatusOr<Labels> labels = index_->SeriesLabels(tenant, sid);
      if (!labels.ok()) continue;
      std::string_view v = labels->Get(req.name());
      if (!v.empty()) values.emplace_back(v);
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (const std::string& v : values) {
    if (req.limit() > 0 && static_cast<uint64_t>(resp->values_size()) >= req.limit()) break;
    resp->add_values(v);
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::TSDBStatus(const pb::TSDBStatusRequest& req, pb::TSDBStatusResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
  std::map<std::string, uint64_t> by_metric, by_pair, by_name;
  std::map<std::string, std::vector<std::string>> values_by_name;
  for (uint64_t sid : ids) {
    absl::StatusOr<Labels> labels = index_->SeriesLabels(tenant, sid);
    if (!labels.ok()) continue;
    if (!labels->MetricName().empty()) by_metric[std::string(labels->MetricName())]++;
    for (const Label& l : *labels) {
      by_pair[absl::StrCat(l.name, "=", l.value)]++;
      by_name[l.name]++;
      values_by_name[l.name].push_back(l.value);
    }
  }
  const size_t top = req.top_n() == 0 ? 10 : req.top_n();
  auto emit_top = [top](const std::map<std::string, uint64_t>& m,
                        google::protobuf::RepeatedPtrField<pb::NameCount>* out) {
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < v.size() && i < top; ++i) {
      auto* nc = out->Add();
      nc->set_name(v[i].first);
      nc->set_count(v[i].second);
    }
  };
  std::map<std::string, uint64_t> value_counts;
  for (auto& [name, vals] : values_by_name) {
    std::sort(vals.begin(), vals.end());
    value_counts[name] = std::unique(vals.begin(), vals.end()) - vals.begin();
  }
  resp->set_total_series(ids.size());
  resp->set_total_label_value_pairs(by_pair.size());
  emit_top(by_metric, resp->mutable_series_count_by_metric_name());
  emit_top(value_counts, resp->mutable_label_value_count_by_label_name());
  emit_top(by_pair, resp->mutable_series_count_by_label_value_pair());
  emit_top(by_name, resp->mutable_series_count_by_label_name());
  return absl::OkStatus();
}

}  // namespace strata::storage
