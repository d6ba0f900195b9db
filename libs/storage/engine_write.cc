// StorageEngine: the write path (validate, WAL, index, head) and WAL replay.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/rpc/proto_convert.h"
#include "libs/storage/engine.h"
#include "libs/storage/key_format.h"
#include "rocksdb/write_batch.h"

namespace strata::storage {

bool StorageEngine::MarkIndexed(uint64_t tenant, uint64_t sid, uint32_t day) {
  std::lock_guard<std::mutex> lock(indexed_mu_);
  return indexed_.insert(IndexedKey{tenant, sid, day}).second;
}

absl::Status StorageEngine::Apply(std::vector<Row>& rows) {
  rocksdb::WriteBatch batch;
  {
    // One lock for the whole batch: taking it per row showed up in ingestion profiles.
    std::vector<std::pair<const Row*, uint32_t>> to_index;
    {
      std::lock_guard<std::mutex> lock(indexed_mu_);
      for (const Row& row : rows) {
        uint64_t tenant = row.tenant.Key();
        uint32_t last_day = UINT32_MAX;
        for (const Sample& s : row.samples) {
          uint32_t day = DayOf(s.t);
          if (day == last_day) continue;
          last_day = day;
          if (indexed_.insert(IndexedKey{tenant, row.sid, day}).second) to_index.emplace_back(&row, day);
        }
      }
    }
    for (const auto& [row, day] : to_index) {
      index_->AddSeries(&batch, day, row->tenant.Key(), row->sid, row->labels);
    }
  }
  if (batch.Count() > 0) {
    // Not synced here: the WAL already holds these rows; Persist() syncs RocksDB's
    // log before the WAL is truncated.
    absl::Status s = db_->Write(&batch, /*sync=*/false);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(indexed_mu_);
      indexed_.clear();  // re-index on the next write
      return s;
    }
  }
  for (Row& row : rows) head_.Append(HeadKey{row.tenant.Key(), row.sid}, row.labels, row.samples);
  return absl::OkStatus();
}

absl::Status StorageEngine::Write(const pb::WriteRequest& req, pb::WriteResponse* resp, std::string_view raw) {
  if (static_cast<size_t>(req.series_size()) > options_.max_rows_per_write) {
    stats_.rejected_invalid_rows += req.series_size();
    return absl::InvalidArgumentError(absl::StrCat("batch has ", req.series_size(), " rows, above the limit of ",
                                                   options_.max_rows_per_write, " rows per write"));
  }
  size_t total_samples = 0;
  for (const auto& ts : req.series()) total_samples += ts.samples_size();
  if (total_samples > options_.max_samples_per_write) {
    stats_.rejected_invalid_rows += req.series_size();
    return absl::InvalidArgumentError(absl::StrCat("batch has ", total_samples, " samples, above the limit of ",
                                                   options_.max_samples_per_write, " samples per write"));
  }

  // 1. Validate every row; any invalid row rejects the whole batch.
  std::vector<Row> rows;
  rows.reserve(req.series_size());
  std::string errors;
  int bad = 0;
  for (int i = 0; i < req.series_size(); ++i) {
    const pb::TimeSeries& ts = req.series(i);
    absl::StatusOr<Labels> labels = LabelsFromProto(ts.labels());
    absl::Status err = labels.status();
    if (err.ok() && labels->empty()) err = absl::InvalidArgumentError("empty label set");
    if (!err.ok()) {
      if (++bad <= 10) absl::StrAppend(&errors, errors.empty() ? "" : "; ", "row ", i, ": ", err.message());
      continue;
    }
    Row row{TenantOf(ts), labels->Hash(), *std::move(labels), {}};
    rows.push_back(std::move(row));
  }
  if (bad > 0) {
    stats_.rejected_invalid_rows += bad;
    return absl::InvalidArgumentError(
        absl::StrCat("batch rejected, nothing stored: ", bad, " invalid row(s): ", errors, bad > 10 ? "; ..." : ""));
  }

  // 2. Series ids are label hashes: make sure a new id does not collide with a
  // different series already stored (checked once per series per process).
  std::vector<size_t> unknown;
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!known_.contains(HeadKey{rows[i].tenant.Key(), rows[i].sid})) unknown.push_back(i);
    }
  }
  for (size_t i : unknown) {
    HeadKey key{rows[i].tenant.Key(), rows[i].sid};
    absl::StatusOr<Labels> stored = index_->SeriesLabels(key.tenant, key.sid);
    if (stored.ok() && !(*stored == rows[i].labels)) {
      stats_.rejected_invalid_rows++;
      return absl::InvalidArgumentError(absl::StrCat("batch rejected, nothing stored: row ", i, ": series ",
                                                     rows[i].labels.ToString(), " collides with stored series ",
                                                     stored->ToString(), " (64-bit id clash)"));
    }
    if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
    if (!stored.ok()) resp->set_new_series(resp->new_series() + 1);
  }

  // 3. Drop samples outside retention or too far ahead, report them per row.
  const int64_t now = Now();
  const int64_t min_t = now - options_.retention_ms;
  const int64_t max_t = now + options_.future_tolerance_ms;
  pb::WriteRequest filtered;
  bool dropped_any = false;
  uint64_t accepted = 0;
  for (int i = 0; i < req.series_size(); ++i) {
    const pb::TimeSeries& ts = req.series(i);
    uint64_t old = 0, future = 0;
    Row& row = rows[i];
    row.samples.reserve(ts.samples_size());
    for (const pb::Sample& s : ts.samples()) {
      if (s.timestamp_ms() < min_t) {
        ++old;
      } else if (s.timestamp_ms() > max_t) {
        ++future;
      } else {
        row.samples.push_back(Sample{s.timestamp_ms(), s.value()});
      }
    }
    accepted += row.samples.size();
    if (old > 0) {
      auto* r = resp->add_rejected();
      r->set_row(i);
      r->set_samples(old);
      r->set_reason("outside_retention");
      r->set_message(absl::StrCat(old, " sample(s) older than the retention cut-off ", min_t, " ms"));
      stats_.rejected_outside_retention += old;
    }
    if (future > 0) {
      auto* r = resp->add_rejected();
      r->set_row(i);
      r->set_samples(future);
      r->set_reason("too_far_in_future");
      r->set_message(absl::StrCat(future, " sample(s) newer than now + ", options_.future_tolerance_ms, " ms"));
      stats_.rejected_too_far_in_future += future;
    }
    if (old + future > 0) dropped_any = true;
  }
  resp->set_accepted_samples(accepted);
  resp->set_rejected_samples(total_samples - accepted);
  if (accepted == 0) return absl::OkStatus();

  std::string record;
  if (dropped_any) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].samples.empty()) continue;
      pb::TimeSeries* ts = filtered.add_series();
      ts->set_account_id(rows[i].tenant.account_id);
      ts->set_project_id(rows[i].tenant.project_id);
      LabelsToProto(rows[i].labels, ts->mutable_labels());
      for (const Sample& s : rows[i].samples) {
        auto* ps = ts->add_samples();
        ps->set_timestamp_ms(s.t);
        ps->set_value(s.v);
      }
    }
    filtered.SerializeToString(&record);
    std::erase_if(rows, [](const Row& r) { return r.samples.empty(); });
  } else if (raw.empty()) {
    req.SerializeToString(&record);
  }
  // Nothing dropped and the caller has the request's bytes: log those.
  std::string_view wal_record = record.empty() && !dropped_any ? raw : std::string_view(record);

  // 4. WAL, then index + head, under the shared write lock (see write_mu_).
  {
    std::shared_lock<std::shared_mutex> lock(write_mu_);
    STRATA_ASSIGN_OR_RETURN(wal::Position pos, wal_->Append(wal_record));
    (void)pos;
    STRATA_RETURN_IF_ERROR(Apply(rows));
  }
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    for (const Row& r : rows) known_.insert(HeadKey{r.tenant.Key(), r.sid});
  }
  stats_.rows_written += rows.size();
  stats_.samples_written += accepted;
  stats_.new_series += resp->new_series();
  return absl::OkStatus();
}

absl::Status StorageEngine::ApplyRecord(std::string_view record) {
  pb::WriteRequest req;
  if (!req.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    return absl::DataLossError("wal record is not a WriteRequest");
  }
  std::vector<Row> rows;
  rows.reserve(req.series_size());
  for (const pb::TimeSeries& ts : req.series()) {
    absl::StatusOr<Labels> labels = LabelsFromProto(ts.labels());
    if (!labels.ok()) return labels.status();
    Row row{TenantOf(ts), labels->Hash(), *std::move(labels), {}};
    row.samples.reserve(ts.samples_size());
    for (const pb::Sample& s : ts.samples()) row.samples.push_back(Sample{s.timestamp_ms(), s.value()});
    rows.push_back(std::move(row));
  }
  return Apply(rows);
}

}  // namespace strata::storage
