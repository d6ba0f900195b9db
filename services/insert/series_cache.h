// SeriesCache: what insert made of a remote_write series' labels the last time it
// came, keyed by the label bytes as the client sent them. A hit skips checking,
// relabelling (--ha-replica-label, --extra-label), sorting, hashing and encoding the
// labels: RowCollector copies the cached storage-wire label entries and placement key
// instead (services/insert/bench: ~35-40 % of what a remote_write row costs insert
// before any storage call).
//
// Key: the XXH3 128-bit hash of the raw bytes of the TimeSeries' `labels` fields,
// seeded with the tenant key, plus the tenant key itself (compared exactly, so rows
// of one tenant never take another tenant's entry). Two different label sets of one
// tenant would have to collide in 128 bits to share an entry; the storage node keys
// its raw-label cache the same way (StorageEngine::Write).
//
// The cache holds only what RowCollector accepted, under the one IngestLimits of the
// process: an entry is a pure function of (tenant, raw bytes, limits). Collectors
// with other limits must use another cache.
//
// Bounded by `max_bytes`, counted as allocated (arenas' and maps' capacities, so
// growth that would pass the bound turns a generation over first), kept in two
// generations per shard: when the current one is full it becomes the previous one
// and the old previous one is dropped; a hit in the previous generation copies the
// entry into the current one. So the series seen lately stay, without per-entry LRU
// bookkeeping. An entry's label bytes sit in its generation's arena, in the order
// they were learned: the rows of one request are mostly side by side there.
//
// Thread-safe: 16 shards, each with its own mutex; GetMany takes each shard's lock
// once for all of a request's keys in it.
//
// More series than it holds would make it miss on nearly every row, which costs
// more than no cache (services/insert/bench: +40 % on a remote_write row): then
// ShouldUse() turns most requests away until the probes hit again.
//
//   SeriesCache cache(64 << 20);
//   if (!cache.ShouldUse()) ... without it
//   std::vector<SeriesCache::Key> keys = {SeriesCache::KeyOf(tenant, row.raw_labels), ...};
//   cache.GetMany(keys, [&](size_t i, uint64_t placement_key, std::string_view entries) {...});
//   cache.Put(keys[j], placement_key, entries);  // for a miss, once checked and encoded
//   cache.Record(hits, misses);
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "libs/model/tenant.h"

namespace strata {

class SeriesCache {
 public:
  struct Key {
    uint64_t lo = 0, hi = 0, tenant = 0;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.lo);  // already a good hash
    }
  };
  // Memory of one map slot (key, entry and its control byte).
  static constexpr size_t kSlotBytes = 41;

  // max_bytes == 0 disables the cache (GetMany finds nothing, Put keeps nothing).
  explicit SeriesCache(size_t max_bytes);

  static Key KeyOf(Tenant tenant, std::string_view raw_labels);

  // Looks up every key; for each one cached calls hit(its index in `keys`,
  // placement key, storage-wire label entries) under its shard's lock, shard by
  // shard (so not in index order). `hit` must not call into the cache.
  void GetMany(std::span<const Key> keys, absl::FunctionRef<void(size_t, uint64_t, std::string_view)> hit);
  void Put(const Key& k, uint64_t placement_key, std::string_view label_entries);

  // Whether a request should use the cache now. A cache smaller than the series
  // coming through misses on nearly every row, and a miss costs more than no cache
  // (the look-up, then the put): while the last window of look-ups (kWindow rows)
  // missed more than it hit, only one request in kProbeEvery uses it (so it fills
  // again if the series settle), and the others skip it.
  bool ShouldUse();
  // What a request's look-ups found (feeds ShouldUse).
  void Record(uint64_t hits, uint64_t misses);
  static constexpr uint64_t kWindow = 1 << 16;
  static constexpr uint64_t kProbeEvery = 16;
  // Requests ShouldUse() turned away so far.
  uint64_t bypassed() const { return bypassed_.load(std::memory_order_relaxed); }

  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  size_t entries() const { return entries_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    uint64_t placement_key;
    uint32_t offset;  // of the label entries in the generation's arena
    uint32_t size;
  };
  struct Generation {
    absl::flat_hash_map<Key, Entry> map;
    std::string arena;
    size_t bytes() const { return arena.capacity() + map.capacity() * kSlotBytes; }
  };
  struct Shard {
    std::mutex mu;
    Generation current, previous;
    size_t counted_bytes = 0, counted_entries = 0;  // its share of bytes_ / entries_
  };
  static constexpr size_t kShards = 16;

  // Adds to the shard's current generation (turning it over first when full)
  // unless it holds `k` already.
  void InsertLocked(Shard& s, const Key& k, uint64_t placement_key, std::string_view label_entries);
  // Brings bytes_ and entries_ up to date with the shard's generations.
  void AccountLocked(Shard& s);

  size_t max_generation_bytes_;  // per shard
  std::array<Shard, kShards> shards_;
  std::atomic<size_t> bytes_{0};
  std::atomic<size_t> entries_{0};
  // ShouldUse's window: look-ups counted since it began, and its verdict so far.
  std::atomic<uint64_t> window_hits_{0};
  std::atomic<uint64_t> window_misses_{0};
  std::atomic<bool> missing_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bypassed_{0};
};

}  // namespace strata
