#include "libs/storage/series_block_cache.h"

#include <cstring>

namespace strata::storage {

namespace {
// What an entry costs besides its records: the map slot, the shared_ptr's control
// block and the string header.
constexpr size_t kEntryOverhead = 96;

// `items` grouped by shard_of(item), in their order.
template <size_t kShards, typename T, typename ShardOf>
std::array<std::vector<T*>, kShards> ByShard(std::vector<T>& items, ShardOf shard_of) {
  std::array<std::vector<T*>, kShards> out;
  for (T& item : items) out[shard_of(item)].push_back(&item);
  return out;
}
}  // namespace

SeriesBlockCache::Records SeriesBlockCache::Find(const Key& key, uint64_t epoch) const {
  Shard& s = ShardOf(key);
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.epoch != epoch) return nullptr;
  auto it = s.entries.find(key);
  return it == s.entries.end() ? nullptr : it->second;
}

void SeriesBlockCache::Prefetch(std::span<const Key> keys) const {
  for (const Key& k : keys) {
    Shard& s = ShardOf(k);
    std::lock_guard<std::mutex> lock(s.mu);
    s.entries.prefetch(k);
  }
  // The records' string object (next to the shared_ptr's count, which Find bumps),
  // then its bytes once that is in cache. Under the lock again: an entry may be
  // replaced between steps.
  auto each_found = [&](auto&& fn) {
    for (const Key& k : keys) {
      Shard& s = ShardOf(k);
      std::lock_guard<std::mutex> lock(s.mu);
      auto it = s.entries.find(k);
      if (it != s.entries.end()) fn(*it->second);
    }
  };
  each_found([](const std::string& r) { __builtin_prefetch(&r); });
  each_found([](const std::string& r) { __builtin_prefetch(r.data()); });
}

void SeriesBlockCache::Insert(const Key& key, uint64_t epoch, std::string records) {
  const size_t cost = records.size() + kEntryOverhead;
  if (cost > max_shard_bytes_) return;
  auto value = std::make_shared<const std::string>(std::move(records));
  Shard& s = ShardOf(key);
  std::lock_guard<std::mutex> lock(s.mu);
  if (epoch < s.epoch || (epoch == s.epoch && s.writing)) return;
  if (epoch > s.epoch || s.bytes + cost > max_shard_bytes_) Clear(s, epoch);
  auto [it, added] = s.entries.try_emplace(key, value);
  if (added) {
    s.bytes += cost;
  } else {
    s.bytes = s.bytes - (it->second->size() + kEntryOverhead) + cost;
    it->second = std::move(value);
  }
}

void SeriesBlockCache::Clear(Shard& s, uint64_t epoch) {
  s.entries.clear();
  s.bytes = 0;
  s.epoch = epoch;
  s.writing = false;
}

void SeriesBlockCache::BeginWrite(uint64_t epoch) {
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.epoch != epoch) Clear(s, epoch);
    s.writing = true;
  }
}

void SeriesBlockCache::Advance(uint64_t epoch, uint64_t next, const std::function<void(size_t, Shard&)>& update) {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.epoch != epoch) {
      Clear(s, next);
      continue;
    }
    update(i, s);
    s.epoch = next;
    s.writing = false;
    if (s.bytes > max_shard_bytes_) Clear(s, next);
  }
}

void SeriesBlockCache::FinishFlush(uint64_t epoch, uint64_t next, std::vector<AddedBlock> added) {
  const auto by_shard = ByShard<kShards>(added, [](const AddedBlock& a) { return ShardIndex(a.key); });
  Advance(epoch, next, [&](size_t i, Shard& s) {
    // A series' blocks are in key order in `added`: each goes after the last.
    for (const AddedBlock* a : by_shard[i]) {
      auto it = s.entries.find(a->key);
      if (it == s.entries.end()) continue;
      auto grown = std::make_shared<std::string>();
      grown->reserve(it->second->size() + 4 + a->value.size());
      grown->append(*it->second);
      AppendRecord(grown.get(), a->value);
      s.bytes += grown->size() - it->second->size();
      it->second = std::move(grown);
    }
  });
}

void SeriesBlockCache::FinishCompaction(uint64_t epoch, uint64_t next, std::vector<RewrittenSeries> rewritten) {
  const auto by_shard = ByShard<kShards>(rewritten, [](const RewrittenSeries& r) { return ShardIndex(r.key); });
  Advance(epoch, next, [&](size_t i, Shard& s) {
    for (RewrittenSeries* r : by_shard[i]) {
      auto it = s.entries.find(r->key);
      if (it == s.entries.end()) continue;
      s.bytes = s.bytes - it->second->size() + r->records.size();
      it->second = std::make_shared<const std::string>(std::move(r->records));
    }
  });
}

void SeriesBlockCache::AbortWrite(uint64_t epoch) {
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.epoch == epoch) s.writing = false;
  }
}

void SeriesBlockCache::AppendRecord(std::string* records, std::string_view value) {
  const uint32_t n = static_cast<uint32_t>(value.size());
  char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                 static_cast<char>(n >> 24)};
  records->append(len, 4);
  records->append(value);
}

bool SeriesBlockCache::ForEachRecord(std::string_view records, const std::function<bool(std::string_view)>& fn) {
  while (!records.empty()) {
    if (records.size() < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(records.data());
    const size_t n = size_t{p[0]} | size_t{p[1]} << 8 | size_t{p[2]} << 16 | size_t{p[3]} << 24;
    if (records.size() - 4 < n) return false;
    if (!fn(records.substr(4, n))) return true;
    records.remove_prefix(4 + n);
  }
  return true;
}

SeriesBlockCache::Stats SeriesBlockCache::stats() const {
  Stats out;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    out.entries += s.entries.size();
    out.bytes += s.bytes;
  }
  return out;
}

}  // namespace strata::storage
