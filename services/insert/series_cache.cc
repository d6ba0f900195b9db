#include "services/insert/series_cache.h"

#include <algorithm>
#include <vector>

// Inlined: the same function and results as libxxhash's, without a call into the
// shared library for every row.
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace strata {

// Arena offsets are 32-bit: a generation of a shard stays below 4 GiB.
SeriesCache::SeriesCache(size_t max_bytes)
    : max_generation_bytes_(std::min<size_t>(max_bytes / kShards / 2, UINT32_MAX)) {}

SeriesCache::Key SeriesCache::KeyOf(Tenant tenant, std::string_view raw_labels) {
  const uint64_t t = tenant.Key();
  XXH128_hash_t h = XXH3_128bits_withSeed(raw_labels.data(), raw_labels.size(), t);
  return Key{h.low64, h.high64, t};
}

bool SeriesCache::ShouldUse() {
  if (max_generation_bytes_ == 0) return false;
  if (!missing_.load(std::memory_order_relaxed)) return true;
  if (requests_.fetch_add(1, std::memory_order_relaxed) % kProbeEvery == 0) return true;
  bypassed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void SeriesCache::Record(uint64_t hits, uint64_t misses) {
  const uint64_t h = window_hits_.fetch_add(hits, std::memory_order_relaxed) + hits;
  const uint64_t m = window_misses_.fetch_add(misses, std::memory_order_relaxed) + misses;
  if (h + m < kWindow) return;
  // The window is over: its verdict holds for the next one. Concurrent requests may
  // land in either window; the verdict is a heuristic, not a count.
  missing_.store(m > h, std::memory_order_relaxed);
  window_hits_.store(0, std::memory_order_relaxed);
  window_misses_.store(0, std::memory_order_relaxed);
}

void SeriesCache::GetMany(std::span<const Key> keys,
                          absl::FunctionRef<void(size_t, uint64_t, std::string_view)> hit) {
  if (max_generation_bytes_ == 0 || keys.empty()) return;
  // The keys' indexes grouped by shard (a counting sort), reused per thread.
  thread_local std::vector<uint32_t> order;
  std::array<uint32_t, kShards + 1> start{};
  for (const Key& k : keys) ++start[k.hi % kShards + 1];
  for (size_t s = 1; s <= kShards; ++s) start[s] += start[s - 1];
  order.resize(keys.size());
  std::array<uint32_t, kShards> next;
  std::copy(start.begin(), start.end() - 1, next.begin());
  for (size_t i = 0; i < keys.size(); ++i) order[next[keys[i].hi % kShards]++] = static_cast<uint32_t>(i);

  constexpr size_t kAhead = 4;  // look-ups whose slots are fetched ahead
  for (size_t s = 0; s < kShards; ++s) {
    if (start[s] == start[s + 1]) continue;
    Shard& shard = shards_[s];
    std::lock_guard<std::mutex> l(shard.mu);
    for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
      if (j + kAhead < start[s + 1]) shard.current.map.prefetch(keys[order[j + kAhead]]);
      const size_t i = order[j];
      const Key& k = keys[i];
      if (auto it = shard.current.map.find(k); it != shard.current.map.end()) {
        const Entry& e = it->second;
        hit(i, e.placement_key, std::string_view(shard.current.arena).substr(e.offset, e.size));
        continue;
      }
      auto it = shard.previous.map.find(k);
      if (it == shard.previous.map.end()) continue;
      const Entry e = it->second;
      hit(i, e.placement_key, std::string_view(shard.previous.arena).substr(e.offset, e.size));
      // Seen again: into the current generation, so it outlives the next turn. The
      // old copy stays (and counts) until the previous generation is dropped.
      InsertLocked(shard, k, e.placement_key, std::string_view(shard.previous.arena).substr(e.offset, e.size));
    }
  }
}

void SeriesCache::Put(const Key& k, uint64_t placement_key, std::string_view label_entries) {
  if (max_generation_bytes_ == 0) return;
  Shard& s = shards_[k.hi % kShards];
  std::lock_guard<std::mutex> l(s.mu);
  InsertLocked(s, k, placement_key, label_entries);
}

void SeriesCache::InsertLocked(Shard& s, const Key& k, uint64_t placement_key, std::string_view label_entries) {
  if (s.current.map.contains(k)) return;
  // The current generation's size once it holds this entry too: its arena and its
  // map grow by doubling (the map at 7/8 full).
  auto after_insert = [&](const Generation& g) {
    size_t arena = g.arena.capacity();
    if (g.arena.size() + label_entries.size() > arena) arena = std::max(2 * arena, g.arena.size() + label_entries.size());
    size_t slots = g.map.capacity();
    if ((g.map.size() + 2) * 8 > slots * 7) slots = slots == 0 ? 1 : 2 * slots + 1;  // a slot early, to be safe
    return arena + slots * kSlotBytes;
  };
  // Would not fit even alone. The same test a fresh current generation gets after a
  // turn-over, so the turn-over below happens at most once per insert.
  if (after_insert(Generation()) > max_generation_bytes_) return;
  if (after_insert(s.current) > max_generation_bytes_) {
    // Turn over. `label_entries` may point into the previous arena (a promotion):
    // copied out before that arena goes.
    const std::string keep(label_entries);
    s.previous = std::move(s.current);
    s.current = Generation();
    return InsertLocked(s, k, placement_key, keep);
  }
  const auto offset = static_cast<uint32_t>(s.current.arena.size());
  s.current.arena.append(label_entries);
  s.current.map.emplace(k, Entry{placement_key, offset, static_cast<uint32_t>(label_entries.size())});
  AccountLocked(s);
}

void SeriesCache::AccountLocked(Shard& s) {
  const size_t bytes = s.current.bytes() + s.previous.bytes();
  const size_t entries = s.current.map.size() + s.previous.map.size();
  bytes_.fetch_add(bytes - s.counted_bytes, std::memory_order_relaxed);  // wraps as intended when smaller
  entries_.fetch_add(entries - s.counted_entries, std::memory_order_relaxed);
  s.counted_bytes = bytes;
  s.counted_entries = entries;
}

}  // namespace strata
