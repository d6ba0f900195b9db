// StorageEngine: one storage node's data — WAL, in-memory head, RocksDB index and
// compressed blocks in day partitions. strata-storage's gRPC service is a thin layer
// over it; tests drive it directly.
//
//   EngineOptions opts;
//   opts.data_dir = "/var/lib/strata";
//   STRATA_ASSIGN_OR_RETURN(auto engine, StorageEngine::Open(opts));   // replays WAL
//   pb::WriteResponse resp;
//   STRATA_RETURN_IF_ERROR(engine->Write(req, &resp));   // OK => in the WAL
//   engine->Search(search_req, [&](pb::SearchSeries&& s) { ...; return true; });
//
// Data flow: Write validates the whole batch, appends it to the WAL (group commit,
// `--wal-fsync` policy), indexes new series in today's partition and adds samples to
// the head, where Search sees them at once. Every `head_flush_interval` the head is
// drained into blocks (libs/encoding) in RocksDB and the WAL is truncated; a
// background compaction merges a series' small blocks of a partition, applying
// `--dedup-interval`; retention drops whole day partitions. docs/architecture.md.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "libs/model/ref_grid.h"
#include "libs/model/tenant.h"
#include "libs/storage/db.h"
#include "libs/storage/head.h"
#include "libs/storage/index.h"
#include "libs/storage/series_block_cache.h"
#include "libs/storage/wal/wal.h"
#include "storage.pb.h"

namespace strata {
enum class BlockPayload : uint32_t;  // libs/rpc/search_wire.h
}

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
}  // namespace rocksdb

namespace strata::storage {

namespace pb = ::strata::storage::v1;

// One RocksDB iterator per partition over the blocks column family, created on first
// use and reused across the series of one Search or Export. Series visited in
// ascending id order make every iterator move forward only.
class BlockIterators {
 public:
  // `epoch` is the engine's persist epoch read before any iterator is created.
  BlockIterators(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::vector<uint32_t> days, uint64_t epoch);
  ~BlockIterators();
  const std::vector<uint32_t>& days() const { return days_; }
  rocksdb::Iterator* For(size_t i);  // the iterator of days()[i]
  uint64_t epoch() const { return epoch_; }
  // Drops the iterators (the next For() sees the database as it is then).
  void Reset(uint64_t epoch);

 private:
  uint64_t epoch_;
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::vector<uint32_t> days_;
  std::vector<std::unique_ptr<rocksdb::Iterator>> its_;
};

struct EngineOptions {
  std::string data_dir = "data";
  int64_t retention_ms = 31LL * 86'400'000;   // samples older than now-retention are rejected/dropped
  int64_t dedup_interval_ms = 0;              // 0 = off; applied when compaction merges blocks
  wal::FsyncPolicy wal_fsync = wal::FsyncPolicy::kAlways;
  int64_t wal_fsync_interval_ms = 100;
  int64_t head_flush_interval_ms = 5 * 60'000;
  int64_t compaction_interval_ms = 10 * 60'000;
  int64_t retention_check_interval_ms = 60 * 60'000;
  int64_t future_tolerance_ms = 2 * 86'400'000LL;  // samples further ahead are rejected
  size_t max_rows_per_write = 1'000'000;
  size_t max_samples_per_write = 10'000'000;
  size_t block_target_samples = 1024;         // compaction output block size
  int search_parallelism = 0;                 // threads reading one Search; 0 = hardware threads
  size_t series_block_cache_bytes = 256 << 20;  // persisted blocks kept for searches (series_block_cache.h); 0 = off
  bool background = true;                     // run flush/compaction/retention threads
  std::function<int64_t()> clock;             // now in ms; defaults to the system clock
  // Tests only: runs inside a head flush once its blocks are written, before the
  // search block cache and the persist epoch move on.
  std::function<void()> after_flush_write;
};

// Counters since Open(), exported as metrics by the service.
struct EngineStats {
  std::atomic<uint64_t> rows_written{0};
  std::atomic<uint64_t> samples_written{0};
  std::atomic<uint64_t> new_series{0};
  std::atomic<uint64_t> rejected_outside_retention{0};
  std::atomic<uint64_t> rejected_too_far_in_future{0};
  std::atomic<uint64_t> rejected_invalid_rows{0};
  std::atomic<uint64_t> refused_unknown_refs{0};  // reference rows naming series not held
  std::atomic<uint64_t> head_flushes{0};
  std::atomic<uint64_t> blocks_written{0};
  std::atomic<uint64_t> compactions{0};
  std::atomic<uint64_t> blocks_compacted{0};
  std::atomic<uint64_t> samples_deduplicated{0};
  std::atomic<uint64_t> partitions_dropped{0};
  std::atomic<uint64_t> wal_replayed_records{0};
  std::atomic<uint64_t> wal_replay_errors{0};
  std::atomic<uint64_t> wal_replay_dropped_ref_rows{0};  // reference rows of series deleted since
  std::atomic<uint64_t> searches{0};
  std::atomic<uint64_t> search_series{0};
  std::atomic<uint64_t> block_cache_hits{0};    // (series, partition) blocks served from block_cache_
  std::atomic<uint64_t> block_cache_misses{0};  // ... read from RocksDB (cache on)
};

// Whether `s` is Write's refusal of reference rows naming series this node does not
// hold (FAILED_PRECONDITION, nothing stored; the writer resends in full), as
// opposed to any other FAILED_PRECONDITION (a closed WAL, ...).
bool IsUnknownSeriesReference(const absl::Status& s);

class StorageEngine {
 public:
  static absl::StatusOr<std::unique_ptr<StorageEngine>> Open(EngineOptions options);
  ~StorageEngine();  // Close()

  // Validates the whole batch first: any structurally invalid row (invalid or
  // duplicate label names, empty label set, invalid UTF-8, too many rows/samples)
  // rejects the WHOLE batch with InvalidArgument naming each bad row (first 10)
  // and stores nothing. Otherwise samples outside retention or too far in the
  // future are dropped and reported per row in `resp->rejected` (and counted); the
  // rest are appended to the WAL and OK is returned only once they are durable.
  // `raw` is a serialized WriteRequest, read in place (libs/rpc/write_wire.h); bytes
  // that are not one are rejected with InvalidArgument. A series whose label bytes
  // were seen before skips label parsing and validation (a cache from those bytes,
  // hashed with XXH3-128, to the series id).
  // `zstd_frame`, when given, is `raw` as one zstd frame (WriteCompressed's body):
  // the WAL then holds the frame instead of `raw`, several times fewer bytes.
  absl::Status Write(std::string_view raw, pb::WriteResponse* resp, std::string_view zstd_frame = {});
  // The same for a parsed request (tests, tools).
  absl::Status Write(const pb::WriteRequest& req, pb::WriteResponse* resp);

  // Streams every series of the tenant matching all matchers with data in
  // [min, max], each with its blocks (head data as one raw block), in ascending
  // series-id order. Large searches are read by several threads; `emit` is always
  // called from the calling thread. `emit` returning false stops the search
  // (client gone). ResourceExhausted when more
  // series match than req.max_series (> 0).
  using SeriesCallback = std::function<bool(pb::SearchSeries&&)>;
  absl::Status Search(const pb::SearchRequest& req, const SeriesCallback& emit);
  // Search with each series as wire bytes: `emit` gets one SearchResponse.series
  // field (tag, length, SearchSeries bytes; libs/rpc/search_wire.h), so entries
  // joined in order are a SearchResponse. The view is valid during the call. What
  // the Search RPC sends; Search() parses these.
  using SeriesWireCallback = std::function<bool(std::string_view series_field)>;
  absl::Status SearchWire(const pb::SearchRequest& req, const SeriesWireCallback& emit);

  // Internal: where the read path puts a series' blocks, as Block messages
  // (Export) or as SearchSeries.blocks fields in wire bytes (Search).
  class BlockSink {
   public:
    virtual ~BlockSink() = default;
    virtual void Add(int64_t min_t, int64_t max_t, uint32_t samples, BlockPayload kind,
                     std::string_view payload) = 0;
    // How much has been added, to roll back to.
    virtual size_t Mark() const = 0;
    virtual void Rollback(size_t mark) = 0;
  };

  absl::Status LabelNames(const pb::LabelNamesRequest& req, pb::LabelNamesResponse* resp);
  absl::Status LabelValues(const pb::LabelValuesRequest& req, pb::LabelValuesResponse* resp);
  absl::Status TSDBStatus(const pb::TSDBStatusRequest& req, pb::TSDBStatusResponse* resp);
  // Deletes every sample of the matching series (all partitions). At least one
  // matcher is required.
  absl::Status Delete(const pb::DeleteRequest& req, pb::DeleteResponse* resp);

  // Streams the series selected by the placement filter (see proto) with their
  // blocks in [min, max].
  using ExportCallback = std::function<bool(pb::ExportedSeries&&)>;
  absl::Status Export(const pb::ExportRequest& req, const ExportCallback& emit);
  // Stores one exported series through the normal write path (WAL included).
  absl::Status Import(const pb::ExportedSeries& series, uint64_t* samples);

  absl::Status NodeInfo(pb::NodeInfoResponse* resp);

  // Drains the head into blocks and truncates the WAL. Everything acknowledged
  // before the call is in RocksDB when it returns.
  absl::Status Persist();
  // Merges small blocks of each series and partition (applying dedup).
  absl::Status Compact();
  // Drops partitions wholly older than now - retention.
  absl::Status ApplyRetention();

  // Snapshots: consistent copies (RocksDB checkpoint = hard links) under
  // data_dir/snapshots/<name>. Names look like 20261125T051200Z-1a2b3c4d.
  absl::StatusOr<std::string> CreateSnapshot();
  absl::StatusOr<std::vector<std::string>> ListSnapshots();
  absl::Status DeleteSnapshot(const std::string& name);

  // Stops background work, persists the head, closes the WAL. Idempotent.
  absl::Status Close();

  const EngineStats& stats() const { return stats_; }
  const std::string& node_id() const { return node_id_; }
  size_t HeadSeries() const { return head_.NumSeries(); }
  size_t HeadSamples() const { return head_.NumSamples(); }
  size_t BlockCacheBytes() const { return block_cache_ ? block_cache_->stats().bytes : 0; }
  uint64_t WalBytes() const;
  wal::Stats WalStats() const { return wal_->stats(); }
  // Bytes of the data directory (cached, refreshed by NodeInfo and the metrics scrape).
  uint64_t DiskBytes() const;

 private:
  explicit StorageEngine(EngineOptions options);
  absl::Status Init();
  int64_t Now() const { return options_.clock(); }

  struct Row {
    Tenant tenant;
    uint64_t sid = 0;
    std::string_view label_entries;  // wire form, validated when the series was first seen
    std::span<const Sample> samples;
    const Labels* labels = nullptr;  // already parsed, when the caller has them
    // Every sample's (series, day) is known to have postings: Apply skips indexed_.
    bool indexed = false;
    // A reference row (TimeSeries.series_id): no label entries; LabelsOf reads the
    // labels from the index when Apply needs them.
    bool ref = false;
  };
  // The row's labels: parsed, from its entries, or (reference rows) from the index.
  absl::StatusOr<Labels> LabelsOf(const Row& row) const;
  // Adds rows (already validated and filtered) to the index and the head.
  absl::Status Apply(std::span<const Row> rows);
  absl::Status ApplyRecord(std::string_view record);
  // Forgets what indexed_ and the raw-series entries know about postings (after a
  // failed index write). Requires indexed_mu_.
  void ForgetIndexedLocked();

  // Reads the series' samples in [mint, maxt] not yet in blocks (head + being persisted).
  void ReadUnpersisted(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // The part of ReadUnpersisted that a flush in progress holds (persisting_).
  void ReadPersisting(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // Appends blocks of the series in [mint, maxt] (partitions of `iters`) and its
  // unpersisted samples as one more block to *out. Persisted blocks come from
  // block_cache_ when it has them; `fill_cache` stores those read from RocksDB
  // there (searches do; a whole-node export would only evict what dashboards read).
  // The unpersisted samples go as packed_samples with `packed_head`, else raw, and
  // only those KeepLatestAtRefs(refs) keeps (all with an empty grid). With
  // `packed_head` and no grid, the head's packed runs wholly in range go as blocks
  // of their own, copied (Head::ReadPacked), and the rest as one more block.
  absl::Status CollectBlocks(uint64_t tenant, uint64_t sid, BlockIterators& iters, int64_t mint, int64_t maxt,
                             bool fill_cache, bool packed_head, const RefGrid& refs, BlockSink& out);
  // Series ids of the tenant matching `ms` in partitions of [mint, maxt].
  absl::StatusOr<std::vector<uint64_t>> SelectSeries(uint64_t tenant, const Matchers& ms, int64_t mint, int64_t maxt,
                                                     std::vector<uint32_t>* days) const;
  uint64_t NextBlockSeq();
  void BackgroundLoop();

  EngineOptions options_;
  EngineStats stats_;
  std::string node_id_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<wal::Wal> wal_;
  Head head_;

  // Writes hold it shared across WAL append + apply; Persist holds it exclusively
  // while it rotates the WAL and drains the head, so no acknowledged sample is in
  // neither the head nor a segment older than the cut.
  std::shared_mutex write_mu_;
  // Samples drained from the head and not yet committed as blocks: still searchable.
  mutable std::mutex persisting_mu_;
  absl::flat_hash_map<HeadKey, std::vector<Sample>> persisting_;
  // Serializes Persist, Compact, Delete, ApplyRetention and snapshots.
  std::mutex maintenance_mu_;

  struct IndexedKey {
    uint64_t tenant, sid;
    uint32_t day;
    friend bool operator==(const IndexedKey&, const IndexedKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const IndexedKey& k) {
      return H::combine(std::move(h), k.tenant, k.sid, k.day);
    }
  };
  std::mutex indexed_mu_;
  absl::flat_hash_set<IndexedKey> indexed_;  // (series, day) with postings written
  // Series whose labels are verified against the index and that a row with a sample
  // was applied for in this process (so the index holds their labels): the series a
  // reference row may name. Deleted series leave it. The value: the day the series'
  // reference rows last indexed (as RawSeries below).
  struct KnownSeries {
    uint32_t indexed_day = UINT32_MAX;
    uint64_t indexed_epoch = 0;
  };
  absl::flat_hash_map<HeadKey, KnownSeries> known_;
  // Series that reference rows replayed from the WAL name and the index holds
  // (ApplyRecord); used only while Open replays, then emptied.
  absl::flat_hash_set<HeadKey> replay_held_;
  // XXH3-128 of (tenant, a row's label bytes as sent) -> its series: rows of known
  // series skip label parsing. Guarded by indexed_mu_.
  struct RawSeriesKey {
    uint64_t lo, hi;
    friend bool operator==(const RawSeriesKey&, const RawSeriesKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const RawSeriesKey& k) {
      return H::combine(std::move(h), k.lo, k.hi);
    }
  };
  // `indexed_day` caches, for rows whose samples all fall on one day, the indexed_
  // probe: valid while `indexed_epoch` equals indexed_epoch_, which is bumped
  // whenever entries leave indexed_ (failed index write, retention, delete).
  struct RawSeries {
    HeadKey key;
    uint32_t indexed_day = UINT32_MAX;
    uint64_t indexed_epoch = 0;
  };
  absl::flat_hash_map<RawSeriesKey, RawSeries> raw_series_;
  uint64_t indexed_epoch_ = 1;  // guarded by indexed_mu_
  uint64_t deletes_ = 0;        // Delete calls that removed series; guarded by indexed_mu_

  // Bumped by Persist after its blocks are in RocksDB and before it forgets the
  // samples in persisting_: a reader whose block iterators predate a bump may have
  // missed those samples in both places and reads the series again (CollectBlocks).
  // Also moved after the other writes to the blocks column family (compaction,
  // delete, retention), so that block_cache_ entries of an older epoch are not used.
  std::atomic<uint64_t> persist_epoch_{0};
  std::unique_ptr<SeriesBlockCache> block_cache_;  // null when off
  std::atomic<uint64_t> block_seq_{0};
  std::atomic<uint64_t> disk_bytes_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  bool closed_ = false;
  std::thread bg_;
};

}  // namespace strata::storage
