#include "services/insert/series_cache.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

using strata::SeriesCache;
using strata::Tenant;

namespace {

struct Found {
  bool hit = false;
  uint64_t placement = 0;
  std::string entries;
};

Found Get(SeriesCache& cache, const SeriesCache::Key& k) {
  Found f;
  std::vector<SeriesCache::Key> keys = {k};
  cache.GetMany(keys, [&](size_t i, uint64_t placement, std::string_view entries) {
    REQUIRE(i == 0);
    f = Found{true, placement, std::string(entries)};
  });
  return f;
}

}  // namespace

TEST_CASE("SeriesCache finds what was put, per tenant") {
  SeriesCache cache(1 << 20);
  const SeriesCache::Key a = SeriesCache::KeyOf(Tenant{}, "raw-a");
  CHECK_FALSE(Get(cache, a).hit);
  cache.Put(a, 42, "entries-a");
  Found f = Get(cache, a);
  CHECK(f.hit);
  CHECK(f.placement == 42);
  CHECK(f.entries == "entries-a");
  CHECK(cache.entries() == 1);
  CHECK(cache.bytes() >= 9 + SeriesCache::kSlotBytes);  // the arena (at least its bytes) and one slot
  CHECK(cache.bytes() < 1024);
  // The same bytes from another tenant are another key.
  CHECK_FALSE(Get(cache, SeriesCache::KeyOf(Tenant{1, 0}, "raw-a")).hit);
  CHECK_FALSE(Get(cache, SeriesCache::KeyOf(Tenant{0, 1}, "raw-a")).hit);
  // Even with the same hash bits: the tenant is compared, not only hashed.
  SeriesCache::Key forged = a;
  forged.tenant = Tenant{7, 0}.Key();
  CHECK_FALSE(Get(cache, forged).hit);
}

TEST_CASE("SeriesCache GetMany answers every key it holds, once") {
  SeriesCache cache(1 << 20);
  std::vector<SeriesCache::Key> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(SeriesCache::KeyOf(Tenant{}, absl::StrCat("series-", i)));
    if (i % 3 != 0) cache.Put(keys.back(), uint64_t(i), absl::StrCat("e", i));
  }
  std::vector<int> seen(keys.size(), 0);
  cache.GetMany(keys, [&](size_t i, uint64_t placement, std::string_view entries) {
    ++seen[i];
    CHECK(placement == i);
    CHECK(entries == absl::StrCat("e", i));
  });
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("key " << i);
    CHECK(seen[i] == (i % 3 != 0 ? 1 : 0));
  }
}

TEST_CASE("SeriesCache stays within its bytes and keeps the series seen lately") {
  const size_t max = 64 << 10;
  SeriesCache cache(max);
  const std::string entries(100, 'x');
  auto key = [](int i) { return SeriesCache::KeyOf(Tenant{}, absl::StrCat("series-", i)); };
  // Series 0..9 come again and again: they must survive every turn-over.
  for (int hot = 0; hot < 10; ++hot) cache.Put(key(hot), uint64_t(hot), entries);
  // ~4 000 entries' worth into a cache for a few hundred.
  for (int i = 10; i < 4000; ++i) {
    cache.Put(key(i), uint64_t(i), entries);
    if (i % 50 == 0) {
      for (int hot = 0; hot < 10; ++hot) REQUIRE(Get(cache, key(hot)).hit);
    }
    REQUIRE(cache.bytes() <= max);
  }
  // What the cache counts is what it allocated.
  CHECK(cache.bytes() > max / 4);
  CHECK(cache.entries() > 100);
  CHECK(Get(cache, key(3999)).hit);  // the newest
  CHECK_FALSE(Get(cache, key(100)).hit);  // long gone
  for (int hot = 0; hot < 10; ++hot) CHECK(Get(cache, key(hot)).hit);
}

TEST_CASE("SeriesCache of 0 bytes keeps nothing") {
  SeriesCache cache(0);
  const SeriesCache::Key a = SeriesCache::KeyOf(Tenant{}, "raw-a");
  cache.Put(a, 1, "e");
  CHECK_FALSE(Get(cache, a).hit);
  CHECK(cache.entries() == 0);
  CHECK(cache.bytes() == 0);
}

TEST_CASE("SeriesCache turns most requests away while it misses more than it hits") {
  SeriesCache cache(1 << 20);
  CHECK(cache.ShouldUse());
  // A window of misses: from now on only one request in kProbeEvery uses it.
  cache.Record(0, SeriesCache::kWindow);
  int used = 0;
  for (uint64_t i = 0; i < 10 * SeriesCache::kProbeEvery; ++i) used += cache.ShouldUse() ? 1 : 0;
  CHECK(used == 10);
  CHECK(cache.bypassed() == 10 * SeriesCache::kProbeEvery - 10);
  // The probes find the series again: a window of hits, and every request uses it.
  cache.Record(SeriesCache::kWindow, 0);
  for (int i = 0; i < 100; ++i) REQUIRE(cache.ShouldUse());
  // A window evenly split is no reason to skip it.
  cache.Record(SeriesCache::kWindow / 2, SeriesCache::kWindow / 2);
  CHECK(cache.ShouldUse());
}
