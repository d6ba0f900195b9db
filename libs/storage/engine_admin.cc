// StorageEngine: delete, export/import, node info, compaction, retention, snapshots.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "libs/cluster/rendezvous.h"
#include "libs/common/status_util.h"
#include "libs/encoding/block.h"
#include "libs/model/dedup.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/search_wire.h"
#include "libs/storage/engine.h"
#include "libs/storage/key_format.h"
#include "rocksdb/iterator.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace strata::storage {

namespace fs = std::filesystem;

namespace {

// Block messages, for Export.
class ProtoBlockSink final : public StorageEngine::BlockSink {
 public:
  explicit ProtoBlockSink(google::protobuf::RepeatedPtrField<pb::Block>* out) : out_(out) {}
  void Add(int64_t min_t, int64_t max_t, uint32_t samples, BlockPayload kind, std::string_view payload) override {
    pb::Block* b = out_->Add();
    b->set_min_time_ms(min_t);
    b->set_max_time_ms(max_t);
    b->set_samples(samples);
    switch (kind) {
      case BlockPayload::kData: b->set_data(payload.data(), payload.size()); break;
      case BlockPayload::kRawSamples: b->set_raw_samples(payload.data(), payload.size()); break;
      case BlockPayload::kPackedSamples: b->set_packed_samples(payload.data(), payload.size()); break;
    }
  }
  size_t Mark() const override { return static_cast<size_t>(out_->size()); }
  void Rollback(size_t mark) override {
    out_->DeleteSubrange(static_cast<int>(mark), out_->size() - static_cast<int>(mark));
  }

 private:
  google::protobuf::RepeatedPtrField<pb::Block>* out_;
};

}  // namespace

absl::Status StorageEngine::Delete(const pb::DeleteRequest& req, pb::DeleteResponse* resp) {
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  if (ms.empty()) return absl::InvalidArgumentError("delete needs at least one matcher");
  // Persist first so the WAL cannot bring deleted samples back after a restart.
  STRATA_RETURN_IF_ERROR(Persist());
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<uint32_t> all_days = index_->Days();
  rocksdb::WriteBatch batch;
  uint64_t deleted = 0;
  absl::flat_hash_set<uint64_t> done;
  for (uint32_t day : all_days) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->Select(day, tenant, ms));
    for (uint64_t sid : ids) {
      absl::StatusOr<Labels> labels = index_->SeriesLabels(tenant, sid);
      if (!labels.ok()) continue;
      index_->RemoveSeries(&batch, day, tenant, sid, *labels);
      std::string prefix = BlockPrefix(day, tenant, sid);
      batch.DeleteRange(db_->blocks(), prefix, PrefixSuccessor(prefix));
      if (done.insert(sid).second) {
        ++deleted;
        batch.Delete(db_->series(), SeriesKey(tenant, sid));
      }
    }
  }
  {
    // No write runs while the series go: one that was checked against known_ before
    // would otherwise apply reference rows to series whose labels just left the
    // index (writes re-check against deletes_ under write_mu_).
    std::unique_lock<std::shared_mutex> lock(write_mu_);
    STRATA_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
    persist_epoch_.fetch_add(1);  // cached blocks of the deleted series are stale
    index_->ForgetPostings();
    std::lock_guard<std::mutex> ilock(indexed_mu_);
    if (!done.empty()) ++deletes_;  // writes whose references were checked before must re-check
    for (uint64_t sid : done) {
      head_.Remove(HeadKey{tenant, sid});
      known_.erase(HeadKey{tenant, sid});
      for (uint32_t day : all_days) indexed_.erase(IndexedKey{tenant, sid, day});
    }
    for (auto it = raw_series_.begin(); !done.empty() && it != raw_series_.end();) {
      auto cur = it++;
      if (cur->second.key.tenant == tenant && done.contains(cur->second.key.sid)) raw_series_.erase(cur);
    }
    ++indexed_epoch_;
  }
  resp->set_deleted_series(deleted);
  return absl::OkStatus();
}

absl::Status StorageEngine::Export(const pb::ExportRequest& req, const ExportCallback& emit) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  if (mint == 0 && maxt == 0) {
    mint = kMinTime;
    maxt = kMaxTime;
  }
  const pb::PlacementFilter& f = req.filter();
  std::unique_ptr<Rendezvous> ring;
  size_t self = 0;
  if (f.nodes_size() > 0) {
    ring = std::make_unique<Rendezvous>(std::vector<std::string>(f.nodes().begin(), f.nodes().end()));
    auto it = std::find(ring->nodes().begin(), ring->nodes().end(), f.node());
    if (it == ring->nodes().end()) {
      return absl::InvalidArgumentError(absl::StrCat("filter.node \"", f.node(), "\" is not in filter.nodes"));
    }
    if (f.replication_factor() == 0) return absl::InvalidArgumentError("filter.replication_factor must be > 0");
    self = it - ring->nodes().begin();
  }
  std::vector<uint32_t> days;
  for (uint32_t d : index_->Days()) {
    if (d >= DayOf(mint) && d <= DayOf(maxt)) days.push_back(d);
  }
  std::string prefix;
  if (!req.all_tenants()) PutBig64(&prefix, Tenant{req.account_id(), req.project_id()}.Key());
  std::string upper = prefix.empty() ? std::string() : PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->series()));
  BlockIterators iters(db_->db(), db_->blocks(), std::move(days), persist_epoch_.load());
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (it->key().size() != 16) continue;
    uint64_t tenant = GetBig64(it->key().data()), sid = GetBig64(it->key().data() + 8);
    STRATA_ASSIGN_OR_RETURN(Labels labels, DecodeLabels(std::string_view(it->value().data(), it->value().size())));
    if (ring && ring->Owns(labels.Hash(), self, f.replication_factor()) != f.owned()) continue;
    pb::ExportedSeries out;
    ProtoBlockSink blocks(out.mutable_blocks());
    STRATA_RETURN_IF_ERROR(CollectBlocks(tenant, sid, iters, mint, maxt, /*fill_cache=*/false,
                                         /*packed_head=*/false, RefGrid{}, blocks));
    if (out.blocks_size() == 0) continue;
    out.set_account_id(static_cast<uint32_t>(tenant >> 32));
    out.set_project_id(static_cast<uint32_t>(tenant));
    LabelsToProto(labels, out.mutable_labels());
    if (!emit(std::move(out))) return absl::CancelledError("export cancelled by the client");
  }
  return FromRocks(it->status(), "series scan");
}

absl::Status StorageEngine::Import(const pb::ExportedSeries& series, uint64_t* samples) {
  pb::WriteRequest req;
  pb::TimeSeries* ts = req.add_series();
  ts->set_account_id(series.account_id());
  ts->set_project_id(series.project_id());
  *ts->mutable_labels() = series.labels();
  std::vector<Sample> decoded;
  for (const pb::Block& b : series.blocks()) {
    absl::Status s = DecodeProtoBlock(b, &decoded);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("import: bad block: ", s.message()));
  }
  SortAndCollapse(&decoded);
  for (const Sample& s : decoded) {
    auto* ps = ts->add_samples();
    ps->set_timestamp_ms(s.t);
    ps->set_value(s.v);
  }
  pb::WriteResponse resp;
  STRATA_RETURN_IF_ERROR(Write(req, &resp));
  *samples = resp.accepted_samples();
  return absl::OkStatus();
}

absl::Status StorageEngine::NodeInfo(pb::NodeInfoResponse* resp) {
  resp->set_node_id(node_id_);
  uint64_t series = 0;
  db_->db()->GetIntProperty(db_->series(), "rocksdb.estimate-num-keys", &series);
  resp->set_series(series);
  resp->set_head_series(head_.NumSeries());
  uint64_t bytes = DiskBytes();
  disk_bytes_ = bytes;
  resp->set_bytes_on_disk(bytes);
  for (uint32_t day : index_->Days()) {
    auto* p = resp->add_partitions();
    p->set_name(DayName(day));
    p->set_min_time_ms(DayStartMs(day));
    p->set_max_time_ms(DayEndMs(day));
  }
  resp->set_version("0.1.0");
  return absl::OkStatus();
}

absl::Status StorageEngine::Compact() {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->blocks()));
  rocksdb::WriteBatch batch;
  // Blocks of one (partition, tenant, series) are adjacent: key prefix of 20 bytes.
  std::string group;
  std::vector<std::string> small_keys;
  std::vector<Sample> merged;
  uint64_t compacted = 0;
  // Cached search entries are carried over each write with the rewritten series'
  // new block lists (SeriesBlockCache::FinishCompaction), not left stale: the
  // blocks the group keeps, in key order, then the merged ones (keyed after them).
  std::string kept_records;
  std::vector<SeriesBlockCache::RewrittenSeries> rewritten;
  uint64_t epoch = persist_epoch_.load();
  if (block_cache_) block_cache_->BeginWrite(epoch);
  // However Compact ends, searches may fill the cache again.
  auto reopen_cache = absl::MakeCleanup([&] {
    if (block_cache_) block_cache_->AbortWrite(epoch);
  });
  auto write = [&]() -> absl::Status {
    STRATA_RETURN_IF_ERROR(db_->Write(&batch, true));
    if (block_cache_) {
      block_cache_->FinishCompaction(epoch, epoch + 1, std::move(rewritten));
      rewritten.clear();
    }
    epoch = persist_epoch_.fetch_add(1) + 1;
    batch.Clear();
    if (block_cache_) block_cache_->BeginWrite(epoch);  // for the next write, if any
    return absl::OkStatus();
  };
  auto flush_group = [&]() -> absl::Status {
    if (small_keys.size() >= 2) {
      size_t before = merged.size();
      SortAndCollapse(&merged);
      Deduplicate(&merged, options_.dedup_interval_ms);
      stats_.samples_deduplicated += before - merged.size();
      for (const std::string& k : small_keys) batch.Delete(db_->blocks(), k);
      std::string block;
      for (size_t i = 0; i < merged.size(); i += options_.block_target_samples) {
        size_t n = std::min(options_.block_target_samples, merged.size() - i);
        std::span<const Sample> part(merged.data() + i, n);
        block.clear();
        EncodeBlock(part, &block);
        std::string key = group;
        PutBig64(&key, NextBlockSeq());
        std::string value = EncodeBlockValue(part.front().t, part.back().t, static_cast<uint32_t>(n), block);
        batch.Put(db_->blocks(), key, value);
        if (block_cache_) SeriesBlockCache::AppendRecord(&kept_records, value);
      }
      compacted += small_keys.size();
      if (block_cache_) {
        rewritten.push_back({{GetBig32(group.data()), GetBig64(group.data() + 4), GetBig64(group.data() + 12)},
                             std::move(kept_records)});
      }
    }
    small_keys.clear();
    merged.clear();
    kept_records.clear();
    if (batch.GetDataSize() > (8 << 20)) STRATA_RETURN_IF_ERROR(write());
    return absl::OkStatus();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.size() != 28) continue;
    if (key.substr(0, 20) != group) {
      STRATA_RETURN_IF_ERROR(flush_group());
      group = std::string(key.substr(0, 20));
    }
    const std::string_view value(it->value().data(), it->value().size());
    BlockValue bv;
    std::vector<Sample> samples;
    if (!DecodeBlockValue(value, &bv) || bv.count >= options_.block_target_samples) {  // stays as it is
      if (block_cache_) SeriesBlockCache::AppendRecord(&kept_records, value);
      continue;
    }
    if (absl::Status s = DecodeBlock(bv.data, &samples); !s.ok()) {
      spdlog::error("compaction: skipping corrupt block: {}", std::string(s.message()));
      if (block_cache_) SeriesBlockCache::AppendRecord(&kept_records, value);
      continue;
    }
    small_keys.emplace_back(key);
    merged.insert(merged.end(), samples.begin(), samples.end());
  }
  STRATA_RETURN_IF_ERROR(flush_group());
  STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "block scan"));
  if (batch.Count() > 0) STRATA_RETURN_IF_ERROR(write());
  stats_.compactions++;
  stats_.blocks_compacted += compacted;
  return absl::OkStatus();
}

absl::Status StorageEngine::ApplyRetention() {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  // A partition goes once its last millisecond is older than now - retention.
  const uint32_t cutoff = DayOf(Now() - options_.retention_ms);
  std::vector<uint32_t> days = index_->Days();
  uint64_t dropped = 0;
  for (uint32_t d : days) dropped += d < cutoff;
  if (dropped == 0) return absl::OkStatus();
  std::string lo, hi;
  PutBig32(&lo, 0);
  PutBig32(&hi, cutoff);
  rocksdb::WriteBatch batch;
  for (auto* cf : {db_->postings(), db_->values(), db_->blocks()}) batch.DeleteRange(cf, lo, hi);
  STRATA_RETURN_IF_ERROR(db_->Write(&batch, true));
  persist_epoch_.fetch_add(1);
  rocksdb::Slice lo_s(lo), hi_s(hi);
  for (auto* cf : {db_->postings(), db_->values(), db_->blocks()}) {
    db_->db()->CompactRange(rocksdb::CompactRangeOptions(), cf, &lo_s, &hi_s);
  }
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    for (auto it = indexed_.begin(); it != indexed_.end();) {
      auto cur = it++;
      if (cur->day < cutoff) indexed_.erase(cur);
    }
    ++indexed_epoch_;
    index_->ForgetPutPairsBefore(cutoff);
    index_->ForgetPostings();
  }
  stats_.partitions_dropped += dropped;
  spdlog::info("retention: dropped {} partition(s) before {}", dropped, DayName(cutoff));
  return absl::OkStatus();
}

namespace {
bool ValidSnapshotName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<std::string> StorageEngine::CreateSnapshot() {
  STRATA_RETURN_IF_ERROR(Persist());
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  time_t secs = static_cast<time_t>(Now() / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char name[64];
  std::random_device rd;
  std::snprintf(name, sizeof name, "%04d%02d%02dT%02d%02d%02dZ-%08x", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, rd());
  fs::path dir = fs::path(options_.data_dir) / "snapshots";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir.string(), ": ", ec.message()));
  rocksdb::Checkpoint* cp = nullptr;
  STRATA_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_->db(), &cp), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> owned(cp);
  fs::create_directories(dir / name, ec);
  STRATA_RETURN_IF_ERROR(FromRocks(owned->CreateCheckpoint((dir / name / "index").string()), "checkpoint"));
  return std::string(name);
}

absl::StatusOr<std::vector<std::string>> StorageEngine::ListSnapshots() {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path dir = fs::path(options_.data_dir) / "snapshots";
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status StorageEngine::DeleteSnapshot(const std::string& name) {
  if (!ValidSnapshotName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid snapshot name \"", name, "\""));
  }
  fs::path p = fs::path(options_.data_dir) / "snapshots" / name;
  std::error_code ec;
  if (!fs::exists(p, ec)) return absl::NotFoundError(absl::StrCat("snapshot \"", name, "\" not found"));
  fs::remove_all(p, ec);
  if (ec) return absl::InternalError(absl::StrCat("delete snapshot ", name, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace strata::storage
