#include "libs/storage/series_block_cache.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace strata::storage;

namespace {

std::string Records(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) SeriesBlockCache::AppendRecord(&out, v);
  return out;
}

std::vector<std::string> Values(const std::string& records) {
  std::vector<std::string> out;
  REQUIRE(SeriesBlockCache::ForEachRecord(records, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  }));
  return out;
}

}  // namespace

TEST_CASE("block cache records keep values of any length, empty ones included") {
  const std::vector<std::string> values = {"", "a", std::string(70'000, 'x'), std::string("\0\1\2", 3)};
  CHECK(Values(Records(values)) == values);
  CHECK(Values("").empty());
  // A cut record is malformed, not read past its end.
  std::string cut = Records({"hello"});
  cut.pop_back();
  CHECK_FALSE(SeriesBlockCache::ForEachRecord(cut, [](std::string_view) { return true; }));
  CHECK_FALSE(SeriesBlockCache::ForEachRecord("\x01\x00", [](std::string_view) { return true; }));
  // fn can stop the walk.
  int seen = 0;
  CHECK(SeriesBlockCache::ForEachRecord(Records({"a", "b", "c"}), [&](std::string_view) { return ++seen < 2; }));
  CHECK(seen == 2);
}

TEST_CASE("block cache entries answer only for their epoch, a newer epoch empties the shard") {
  SeriesBlockCache cache(1 << 20);
  const SeriesBlockCache::Key k{20'000, 1, 42}, other{20'000, 1, 43}, day2{20'001, 1, 42}, tenant2{20'000, 2, 42};
  CHECK(cache.Find(k, 5) == nullptr);
  cache.Insert(k, 5, Records({"v1"}));
  REQUIRE(cache.Find(k, 5) != nullptr);
  CHECK(Values(*cache.Find(k, 5)) == std::vector<std::string>{"v1"});
  CHECK(cache.Find(k, 6) == nullptr);
  CHECK(cache.Find(k, 4) == nullptr);
  CHECK(cache.Find(other, 5) == nullptr);
  CHECK(cache.Find(day2, 5) == nullptr);
  CHECK(cache.Find(tenant2, 5) == nullptr);

  // Replaced at the same epoch; a reader keeps what it found.
  SeriesBlockCache::Records held = cache.Find(k, 5);
  cache.Insert(k, 5, Records({"v2", "v3"}));
  CHECK(Values(*held) == std::vector<std::string>{"v1"});
  CHECK(Values(*cache.Find(k, 5)) == std::vector<std::string>{"v2", "v3"});

  // An insert from an older epoch (a search that began before a flush) is dropped.
  cache.Insert(k, 6, Records({"new"}));
  cache.Insert(k, 5, Records({"old"}));
  CHECK(cache.Find(k, 5) == nullptr);
  CHECK(Values(*cache.Find(k, 6)) == std::vector<std::string>{"new"});
  CHECK(cache.stats().entries == 1);
}

TEST_CASE("block cache stays within its budget") {
  const size_t budget = 16 * 4096;  // 16 shards of 4 KiB
  SeriesBlockCache cache(budget);
  for (uint64_t sid = 0; sid < 100'000; ++sid) cache.Insert({1, 0, sid}, 1, Records({std::string(100, 'x')}));
  CHECK(cache.stats().bytes <= budget);
  CHECK(cache.stats().entries > 0);
  // Records larger than a shard's share are not kept.
  cache.Insert({1, 0, 7}, 1, Records({std::string(8192, 'y')}));
  CHECK(cache.Find({1, 0, 7}, 1) == nullptr);
  CHECK(cache.stats().bytes <= budget);
}

TEST_CASE("block cache entries are carried over a head flush with its blocks appended") {
  SeriesBlockCache cache(1 << 20);
  const SeriesBlockCache::Key a{20'000, 1, 1}, b{20'000, 1, 2}, absent{20'000, 1, 3}, other_shard{20'000, 1, 1 << 7};
  cache.Insert(a, 5, Records({"a1"}));
  cache.Insert(b, 5, Records({"b1"}));
  cache.Insert(other_shard, 5, Records({"o1"}));

  cache.BeginWrite(5);
  // While the flush writes, entries still answer for epoch 5, but a search of epoch 5
  // may already see the new blocks in RocksDB: what it would insert is dropped.
  CHECK(Values(*cache.Find(a, 5)) == std::vector<std::string>{"a1"});
  cache.Insert(absent, 5, Records({"x1", "x2"}));
  cache.Insert(b, 5, Records({"b1", "b2"}));
  CHECK(cache.Find(absent, 5) == nullptr);
  CHECK(Values(*cache.Find(b, 5)) == std::vector<std::string>{"b1"});

  cache.FinishFlush(5, 6, {{a, "a2"}, {absent, "x2"}, {a, "a3"}, {other_shard, "o2"}});
  CHECK(cache.Find(a, 5) == nullptr);
  CHECK(Values(*cache.Find(a, 6)) == std::vector<std::string>{"a1", "a2", "a3"});
  CHECK(Values(*cache.Find(b, 6)) == std::vector<std::string>{"b1"});  // not flushed: unchanged
  CHECK(Values(*cache.Find(other_shard, 6)) == std::vector<std::string>{"o1", "o2"});
  CHECK(cache.Find(absent, 6) == nullptr);  // never cached: not made up from one block
  cache.Insert(absent, 6, Records({"x1", "x2"}));
  CHECK(cache.Find(absent, 6) != nullptr);
  const auto bytes = cache.stats().bytes;

  // A failed flush changes nothing and lets inserts in again.
  cache.BeginWrite(6);
  cache.AbortWrite(6);
  cache.Insert(b, 6, Records({"b1", "b9"}));
  CHECK(Values(*cache.Find(b, 6)) == std::vector<std::string>{"b1", "b9"});
  CHECK(cache.stats().bytes == bytes + 6);

  // Entries of an older epoch (a compaction moved the engine on) are not carried.
  cache.BeginWrite(8);
  cache.FinishFlush(8, 9, {{a, "a4"}});
  CHECK(cache.Find(a, 9) == nullptr);
  CHECK(cache.stats().entries == 0);
}

TEST_CASE("block cache entries grown by flushes stay within the budget") {
  const size_t budget = 16 * 4096;
  SeriesBlockCache cache(budget);
  for (uint64_t sid = 0; sid < 16 * 128; sid += 128) cache.Insert({1, 0, sid}, 1, Records({std::string(1000, 'x')}));
  std::vector<SeriesBlockCache::AddedBlock> added;
  for (uint64_t sid = 0; sid < 16 * 128; sid += 128) added.push_back({{1, 0, sid}, std::string(1000, 'y')});
  for (uint64_t epoch = 1; epoch < 10; ++epoch) {
    cache.BeginWrite(epoch);
    cache.FinishFlush(epoch, epoch + 1, added);
    CHECK(cache.stats().bytes <= budget);
  }
}

TEST_CASE("block cache entries of series a compaction rewrote are replaced, the others carried over") {
  SeriesBlockCache cache(1 << 20);
  const SeriesBlockCache::Key a{20'000, 1, 1}, b{20'000, 1, 2}, absent{20'000, 1, 3};
  cache.Insert(a, 5, Records({"a1", "a2", "a3"}));
  cache.Insert(b, 5, Records({"b1"}));
  cache.BeginWrite(5);
  cache.Insert(absent, 5, Records({"x"}));  // a search during the write: dropped
  cache.FinishCompaction(5, 6, {{a, Records({"a1", "a23"})}, {absent, Records({"x12"})}});
  CHECK(Values(*cache.Find(a, 6)) == std::vector<std::string>{"a1", "a23"});
  CHECK(Values(*cache.Find(b, 6)) == std::vector<std::string>{"b1"});
  CHECK(cache.Find(absent, 6) == nullptr);
  CHECK(cache.Find(a, 5) == nullptr);
  CHECK(cache.stats().bytes == Records({"a1", "a23"}).size() + Records({"b1"}).size() + 2 * 96);
}

TEST_CASE("block cache Prefetch over present, absent, empty and other-epoch keys changes nothing") {
  SeriesBlockCache cache(1 << 20);
  std::vector<SeriesBlockCache::Key> keys;
  for (uint64_t sid = 0; sid < 300; ++sid) {
    keys.push_back({20'000, 1, sid});
    if (sid % 3 == 0) cache.Insert(keys.back(), 7, Records({std::string(sid, 'x')}));  // sid 0: an empty value
    if (sid % 3 == 1) cache.Insert(keys.back(), 7, "");                                // no blocks
  }
  keys.push_back({20'001, 1, 3});  // another day
  keys.push_back({20'000, 2, 3});  // another tenant
  const auto before = cache.stats();
  cache.Prefetch(keys);
  cache.Prefetch({});
  CHECK(cache.stats().entries == before.entries);
  CHECK(cache.stats().bytes == before.bytes);
  for (uint64_t sid = 0; sid < 300; ++sid) {
    SeriesBlockCache::Records r = cache.Find(keys[sid], 7);
    if (sid % 3 == 2) {
      CHECK(r == nullptr);
    } else {
      REQUIRE(r != nullptr);
      CHECK(Values(*r) == (sid % 3 == 0 ? std::vector<std::string>{std::string(sid, 'x')} : std::vector<std::string>{}));
    }
  }
  CHECK(cache.Find(keys[300], 7) == nullptr);
  CHECK(cache.Find(keys[301], 7) == nullptr);
}
