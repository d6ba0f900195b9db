// StorageEngine: opening, recovery, persisting the head, background work, closing.
#include "libs/storage/engine.h"

#include <chrono>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/encoding/block.h"
#include "libs/storage/key_format.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace strata::storage {

namespace fs = std::filesystem;

StorageEngine::StorageEngine(EngineOptions options) : options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

absl::StatusOr<std::unique_ptr<StorageEngine>> StorageEngine::Open(EngineOptions options) {
  auto engine = std::unique_ptr<StorageEngine>(new StorageEngine(std::move(options)));
  STRATA_RETURN_IF_ERROR(engine->Init());
  return engine;
}

absl::Status StorageEngine::Init() {
  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create --data-dir ", options_.data_dir, ": ", ec.message()));
  STRATA_ASSIGN_OR_RETURN(db_, Db::Open(options_.data_dir + "/index"));
  index_ = std::make_unique<Index>(db_.get());
  if (options_.series_block_cache_bytes > 0) {
    block_cache_ = std::make_unique<SeriesBlockCache>(options_.series_block_cache_bytes);
  }

  // Node id: generated once, kept in the meta column family.
  std::string id;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->meta(), "node_id", &id);
  if (s.IsNotFound()) {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    id = buf;
    STRATA_RETURN_IF_ERROR(FromRocks(db_->db()->Put(rocksdb::WriteOptions(), db_->meta(), "node_id", id), "meta"));
  } else if (!s.ok()) {
    return FromRocks(s, "meta");
  }
  node_id_ = id;

  // Block sequence numbers only need to be unique per series: start above the
  // clock so restarts never reuse one.
  block_seq_ = static_cast<uint64_t>(Now()) << 20;

  wal::Options wo;
  wo.fsync_policy = options_.wal_fsync;
  wo.fsync_interval = std::chrono::milliseconds(options_.wal_fsync_interval_ms);
  STRATA_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(options_.data_dir + "/wal", wo));

  absl::Status replayed = wal_->Replay(wal::Position{}, [&](std::string_view rec, wal::Position) {
    stats_.wal_replayed_records++;
    absl::Status st = ApplyRecord(rec);
    if (!st.ok()) {
      stats_.wal_replay_errors++;
      spdlog::error("wal replay: skipping a record that does not apply: {}", std::string(st.message()));
    }
    return absl::OkStatus();
  });
  replay_held_ = {};
  if (stats_.wal_replay_dropped_ref_rows > 0) {
    spdlog::warn("wal replay: dropped {} reference rows of series deleted after they were written",
                 stats_.wal_replay_dropped_ref_rows.load());
  }
  if (!replayed.ok()) {
    // Mid-log corruption: what could be read was applied; replicas heal the rest.
    stats_.wal_replay_errors++;
    spdlog::error("wal replay: {}", std::string(replayed.message()));
  }
  if (stats_.wal_replayed_records > 0) {
    spdlog::info("wal replay: {} records, {} samples in head", stats_.wal_replayed_records.load(),
                 head_.NumSamples());
  }
  STRATA_RETURN_IF_ERROR(Persist());
  if (options_.background) bg_ = std::thread([this] { BackgroundLoop(); });
  return absl::OkStatus();
}

StorageEngine::~StorageEngine() {
  absl::Status s = Close();
  if (!s.ok()) spdlog::error("close: {}", std::string(s.message()));
}

absl::Status StorageEngine::Close() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    stopping_ = true;
  }
  // Init() failed before the WAL opened (the index was locked by another process,
  // say): nothing was accepted, so there is nothing to persist or close.
  if (wal_ == nullptr) return absl::OkStatus();
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  absl::Status s = Persist();
  absl::Status w = wal_->Close();
  if (s.ok()) s = w;
  return s;
}

uint64_t StorageEngine::NextBlockSeq() { return block_seq_.fetch_add(1); }

void StorageEngine::ReadUnpersisted(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  head_.Read(key, mint, maxt, out);
  ReadPersisting(key, mint, maxt, out);
}

void StorageEngine::ReadPersisting(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  std::lock_guard<std::mutex> lock(persisting_mu_);
  auto it = persisting_.find(key);
  if (it == persisting_.end()) return;
  for (const Sample& s : it->second) {
    if (s.t >= mint && s.t <= maxt) out->push_back(s);
  }
}

absl::Status StorageEngine::Persist() {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  wal::Position cut;
  std::vector<DrainedSeries> drained;
  {
    std::unique_lock<std::shared_mutex> lock(write_mu_);
    if (head_.NumSeries() == 0) return absl::OkStatus();
    STRATA_ASSIGN_OR_RETURN(cut, wal_->Rotate());
    // Drained and handed to persisting_ under persisting_mu_, so a reader that
    // finds a series gone from the head finds its samples in persisting_.
    std::lock_guard<std::mutex> plock(persisting_mu_);
    drained = head_.Drain();
    for (const DrainedSeries& d : drained) {
      auto& v = persisting_[d.key];
      v.insert(v.end(), d.samples.begin(), d.samples.end());
    }
  }
  // Cached search entries are carried over the flush with its blocks appended
  // (SeriesBlockCache::FinishFlush), not left stale.
  const uint64_t epoch = persist_epoch_.load();
  std::vector<SeriesBlockCache::AddedBlock> added;
  if (block_cache_) block_cache_->BeginWrite(epoch);
  rocksdb::WriteBatch batch;
  std::string block;
  uint64_t blocks = 0;
  for (const DrainedSeries& d : drained) {
    // One block per partition the samples fall in.
    size_t begin = 0;
    while (begin < d.samples.size()) {
      uint32_t day = DayOf(d.samples[begin].t);
      size_t end = begin;
      while (end < d.samples.size() && DayOf(d.samples[end].t) == day &&
             end - begin < kMaxBlockSamples) {
        ++end;
      }
      std::span<const Sample> part(d.samples.data() + begin, end - begin);
      block.clear();
      EncodeBlock(part, &block);
      std::string value = EncodeBlockValue(part.front().t, part.back().t, static_cast<uint32_t>(part.size()), block);
      batch.Put(db_->blocks(), BlockKey(day, d.key.tenant, d.key.sid, NextBlockSeq()), value);
      if (block_cache_) added.push_back({{day, d.key.tenant, d.key.sid}, std::move(value)});
      ++blocks;
      begin = end;
    }
  }
  // sync=true also makes every earlier index write durable (one RocksDB log).
  absl::Status s = db_->Write(&batch, /*sync=*/true);
  if (!s.ok()) {
    // Put the samples back into the head (still searchable, still covered by the WAL
    // segments after an earlier cut) so the next flush writes them again; dropping
    // them here would lose them once a later flush truncates the WAL.
    spdlog::error("head flush failed, will retry: {}", std::string(s.message()));
    if (block_cache_) block_cache_->AbortWrite(epoch);
    std::unique_lock<std::shared_mutex> lock(write_mu_);
    for (const DrainedSeries& d : drained) head_.Append(d.key, d.labels, d.samples);
    std::lock_guard<std::mutex> plock(persisting_mu_);
    persisting_.clear();
    return s;
  }
  if (options_.after_flush_write) options_.after_flush_write();
  if (block_cache_) block_cache_->FinishFlush(epoch, epoch + 1, std::move(added));
  persist_epoch_.fetch_add(1);
  {
    std::lock_guard<std::mutex> plock(persisting_mu_);
    persisting_.clear();
  }
  // Blocks just written go from the memtable to a table file: a search over recent
  // hours then steps through table blocks, not skip-list nodes (~15 % of a
  // 20,000-series search). A failure only costs that speed.
  if (absl::Status fs = db_->FlushBlocks(); !fs.ok()) spdlog::warn("blocks flush: {}", std::string(fs.message()));
  stats_.head_flushes++;
  stats_.blocks_written += blocks;
  return wal_->TruncateBefore(cut);
}

void StorageEngine::BackgroundLoop() {
  using Clock = std::chrono::steady_clock;
  auto next_flush = Clock::now() + std::chrono::milliseconds(options_.head_flush_interval_ms);
  auto next_compact = Clock::now() + std::chrono::milliseconds(options_.compaction_interval_ms);
  auto next_retention = Clock::now() + std::chrono::seconds(5);
  std::unique_lock<std::mutex> lock(bg_mu_);
  while (!stopping_) {
    auto wake = std::min({next_flush, next_compact, next_retention});
    bg_cv_.wait_until(lock, wake, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto now = Clock::now();
    if (now >= next_flush) {
      if (auto s = Persist(); !s.ok()) spdlog::error("head flush: {}", std::string(s.message()));
      next_flush = Clock::now() + std::chrono::milliseconds(options_.head_flush_interval_ms);
    }
    if (now >= next_compact) {
      if (auto s = Compact(); !s.ok()) spdlog::error("compaction: {}", std::string(s.message()));
      next_compact = Clock::now() + std::chrono::milliseconds(options_.compaction_interval_ms);
    }
    if (now >= next_retention) {
      if (auto s = ApplyRetention(); !s.ok()) spdlog::error("retention: {}", std::string(s.message()));
      next_retention = Clock::now() + std::chrono::milliseconds(options_.retention_check_interval_ms);
    }
    lock.lock();
  }
}

uint64_t StorageEngine::WalBytes() const {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(wal_->dir(), ec)) {
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  }
  return n;
}

uint64_t StorageEngine::DiskBytes() const {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(options_.data_dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename() == "snapshots") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  }
  return n;
}

}  // namespace strata::storage
