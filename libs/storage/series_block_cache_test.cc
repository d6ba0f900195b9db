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

TEST_CASE("block cache entries answer only for their epoch; a newer epoch empties the shard") {
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
