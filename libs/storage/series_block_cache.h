// Persisted blocks of recently searched series, in memory, so that a search that
// comes again (a dashboard refreshing its panels) finds each series' blocks with
// one hash lookup instead of a RocksDB seek (~5 µs for a series among many, most
// of a scattered search's storage CPU).
//
//   SeriesBlockCache cache(256 << 20);
//   SeriesBlockCache::Key key{day, tenant, sid};
//   if (auto records = cache.Find(key, epoch)) {
//     SeriesBlockCache::ForEachRecord(*records, [](std::string_view value) { ... });
//   } else {
//     std::string r;
//     for (each block value of the series in that partition) SeriesBlockCache::AppendRecord(&r, value);
//     cache.Insert(key, epoch, std::move(r));
//   }
//
// Validity: an entry holds every block value of one series in one partition as the
// blocks column family held them at `epoch`, the engine's persist epoch, which
// moves after every write to that column family (head flush, compaction, delete,
// retention). Find() answers only for the epoch asked; the first Insert() of a newer
// epoch empties the shard, since every entry it holds is then stale. A shard also
// starts again empty once its share of `max_bytes` is used.
//
// Head flushes and compactions keep the cache: a flush only adds blocks, each with a
// key after every block its series already has, so it carries entries to its new
// epoch with the added blocks appended (FinishFlush); a compaction rewrites some
// series' blocks and hands over their new block lists (FinishCompaction). Under live
// ingest every flush, and every compaction after it, touches every active series,
// and a dashboard would otherwise read RocksDB again after each one.
//
//   cache.BeginWrite(epoch);                       // before the blocks are written
//   ... write the blocks ...
//   cache.FinishFlush(epoch, epoch + 1, added);    // then move the engine to epoch + 1
//
// Thread-safe. Records are shared: a caller keeps reading them after they are
// replaced or evicted.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strata::storage {

class SeriesBlockCache {
 public:
  struct Key {
    uint32_t day;
    uint64_t tenant;
    uint64_t sid;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.day, k.tenant, k.sid);
    }
  };
  // Block values, each as a 4-byte little-endian length then the value bytes.
  using Records = std::shared_ptr<const std::string>;

  explicit SeriesBlockCache(size_t max_bytes) : max_shard_bytes_(max_bytes / kShards) {}

  // The records stored for `key` at `epoch`, or null.
  Records Find(const Key& key, uint64_t epoch) const;
  // A hint that these keys are about to be looked up: fetches their table slots,
  // then the entries found and their bytes, each step for all keys together so that
  // the cache misses overlap (one key at a time, a search of 100 000 head-only
  // series spent 9 % of its CPU waiting in Find). Changes nothing.
  void Prefetch(std::span<const Key> keys) const;
  // Stores `records` for `key` as of `epoch`; ignored when the shard already holds a
  // newer epoch or when the records alone exceed a shard's share.
  void Insert(const Key& key, uint64_t epoch, std::string records);

  // A block value a head flush wrote for `key`.
  struct AddedBlock {
    Key key;
    std::string value;
  };
  // Every block value a compaction left for `key`, in key order, as records.
  struct RewrittenSeries {
    Key key;
    std::string records;
  };
  // Stops Insert() for `epoch` until a Finish or AbortWrite: from the moment a flush
  // or compaction writes, a search of that epoch may read the new blocks from
  // RocksDB, and a flush would then append them to its entry a second time. Find()
  // still answers for `epoch`.
  void BeginWrite(uint64_t epoch);
  // The flush of BeginWrite(epoch) wrote `added` (in key order per series): each
  // cached entry of a key in it gets those values appended, and every shard moves to
  // `next`. A shard not at `epoch` is emptied instead.
  void FinishFlush(uint64_t epoch, uint64_t next, std::vector<AddedBlock> added);
  // The compaction write of BeginWrite(epoch) left `rewritten` series with the block
  // lists given: their cached entries are replaced (series not cached stay out), and
  // every shard moves to `next`. A shard not at `epoch` is emptied instead.
  void FinishCompaction(uint64_t epoch, uint64_t next, std::vector<RewrittenSeries> rewritten);
  // Nothing was written: Insert() for `epoch` is allowed again.
  void AbortWrite(uint64_t epoch);

  static void AppendRecord(std::string* records, std::string_view value);
  // Calls fn on each value; false when `records` is not a sequence of records.
  static bool ForEachRecord(std::string_view records, const std::function<bool(std::string_view)>& fn);

  struct Stats {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  Stats stats() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    uint64_t epoch = 0;
    bool writing = false;  // between BeginWrite and a Finish or AbortWrite of `epoch`
    size_t bytes = 0;
    absl::flat_hash_map<Key, Records> entries;
  };
  static size_t ShardIndex(const Key& key) { return (key.sid >> 7) % kShards; }
  Shard& ShardOf(const Key& key) const { return shards_[ShardIndex(key)]; }
  static void Clear(Shard& s, uint64_t epoch);
  // Moves every shard from `epoch` to `next`, calling update(shard index, shard) on
  // those at `epoch` first and emptying the others; then applies the budget.
  void Advance(uint64_t epoch, uint64_t next, const std::function<void(size_t, Shard&)>& update);

  const size_t max_shard_bytes_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace strata::storage
