#include "libs/storage/engine.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/storage/engine_test_util.h"

using namespace strata;
using namespace strata::storage;
using namespace strata::storage::testing;

// The search block cache (series_block_cache.h) answers repeated searches; a flush
// carries its entries over with the new blocks appended, and every other write to
// the blocks column family makes them stale.
TEST_CASE("searches served from the block cache see every later flush, delete and compaction") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  auto e = *StorageEngine::Open(o);
  const auto all = std::vector<pb::Matcher>{M(pb::EQUAL, "__name__", "c")};
  const int64_t mint = kNow - 7'200'000, maxt = kNow;
  pb::WriteResponse resp;
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "c"}, {"i", "a"}}, Ramp(kNow - 3'600'000, 10, 15'000));
  AddRow(&req, {{"__name__", "c"}, {"i", "b"}}, Ramp(kNow - 3'600'000, 10, 15'000, 100));
  REQUIRE(e->Write(req, &resp).ok());
  REQUIRE(e->Persist().ok());

  // An export (rebalance, repair) reads every series without filling the cache.
  pb::ExportRequest ex;
  int exported = 0;
  REQUIRE(e->Export(ex, [&](pb::ExportedSeries&&) {
               ++exported;
               return true;
             }).ok());
  CHECK(exported == 2);
  CHECK(e->BlockCacheBytes() == 0);
  CHECK(e->stats().block_cache_misses == 0);

  auto first = Search(*e, all, mint, maxt);
  CHECK(e->BlockCacheBytes() > 0);
  const uint64_t misses = e->stats().block_cache_misses, hits = e->stats().block_cache_hits;
  CHECK(misses == 2);
  CHECK(Search(*e, all, mint, maxt) == first);
  CHECK(e->stats().block_cache_hits == hits + 2);
  CHECK(e->stats().block_cache_misses == misses);
  // A narrower range is cut from the same entries.
  auto narrow = Search(*e, all, kNow - 3'600'000 + 30'000, kNow - 3'600'000 + 60'000);
  CHECK(narrow["c{i=\"a\"}"].size() == 3);

  // A flush adds a block to one series: both entries are carried over, that one
  // with the new block, and the search after the flush reads no RocksDB block.
  req.Clear();
  AddRow(&req, {{"__name__", "c"}, {"i", "a"}}, Ramp(kNow - 1'800'000, 5, 15'000, 50));
  REQUIRE(e->Write(req, &resp).ok());
  REQUIRE(e->Persist().ok());
  const uint64_t hits_before_flush_search = e->stats().block_cache_hits;
  auto got = Search(*e, all, mint, maxt);
  CHECK(got["c{i=\"a\"}"].size() == 15);
  CHECK(got["c{i=\"a\"}"].back() == Sample{kNow - 1'800'000 + 4 * 15'000, 54});
  CHECK(got["c{i=\"b\"}"] == first["c{i=\"b\"}"]);
  CHECK(e->stats().block_cache_hits == hits_before_flush_search + 2);
  CHECK(e->stats().block_cache_misses == misses);
  // The carried entries hold what RocksDB holds: a cold engine answers the same.
  {
    EngineOptions cold = o;
    cold.series_block_cache_bytes = 0;
    e.reset();
    auto reopened = *StorageEngine::Open(cold);
    CHECK(Search(*reopened, all, mint, maxt) == got);
  }
  e = *StorageEngine::Open(o);
  got = Search(*e, all, mint, maxt);
  CHECK(got["c{i=\"a\"}"].size() == 15);

  // Delete with an empty head (nothing to flush first), then the series comes back
  // with one sample in the head: its deleted blocks must not come back with it.
  pb::DeleteRequest del;
  *del.add_matchers() = M(pb::EQUAL, "i", "a");
  pb::DeleteResponse delr;
  REQUIRE(e->Delete(del, &delr).ok());
  req.Clear();
  AddRow(&req, {{"__name__", "c"}, {"i", "a"}}, {{kNow - 60'000, 7}});
  REQUIRE(e->Write(req, &resp).ok());
  got = Search(*e, all, mint, maxt);
  CHECK(got["c{i=\"a\"}"] == std::vector<Sample>{{kNow - 60'000, 7}});
  CHECK(got["c{i=\"b\"}"].size() == 10);
}

// Flushes carry cached entries over by appending their blocks (FinishFlush); a
// search that filled an entry from RocksDB while a flush was writing must not make
// that flush's block appear twice in it.
TEST_CASE("the block cache holds each block once however searches and flushes interleave") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  // Small enough that shards overflow and start again empty all the time, so that
  // searches keep inserting entries, some of them while a flush is writing.
  o.series_block_cache_bytes = 128 << 10;
  auto e = *StorageEngine::Open(o);
  constexpr int kSeries = 300, kRounds = 30;
  const int64_t t0 = kNow - 3'600'000;
  auto write_round = [&](int r) {
    pb::WriteRequest req;
    for (int i = 0; i < kSeries; ++i) AddRow(&req, {{"__name__", "s"}, {"i", std::to_string(i)}}, {{t0 + r * 15'000, double(r)}});
    pb::WriteResponse resp;
    return e->Write(req, &resp).ok();
  };
  pb::SearchRequest sreq;
  *sreq.add_matchers() = M(pb::EQUAL, "__name__", "s");
  sreq.set_min_time_ms(t0);
  sreq.set_max_time_ms(kNow);
  // Per series: samples in its blocks as sent (duplicates included), and distinct.
  auto count = [&](std::map<std::string, std::pair<size_t, size_t>>* out) {
    return e->Search(sreq, [&](pb::SearchSeries&& s) {
      std::vector<Sample> v;
      for (const auto& b : s.blocks()) {
        if (!DecodeProtoBlock(b, &v).ok()) return false;
      }
      const size_t raw = v.size();
      SortAndCollapse(&v);
      (*out)[LabelsFromProto(s.labels())->ToString()] = {raw, v.size()};
      return true;
    });
  };
  REQUIRE(write_round(0));
  REQUIRE(e->Persist().ok());
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failed{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::map<std::string, std::pair<size_t, size_t>> got;
      if (!count(&got).ok() || got.size() != kSeries) failed++;
      searches++;
    }
  });
  for (int r = 1; r < kRounds; ++r) {
    REQUIRE(write_round(r));
    REQUIRE(e->Persist().ok());
  }
  done = true;
  reader.join();
  CHECK(failed == 0);
  CHECK(searches > 0);
  // Quiescent, head empty: every sample is in exactly one block.
  for (int pass = 0; pass < 2; ++pass) {  // the second pass comes from the cache
    std::map<std::string, std::pair<size_t, size_t>> got;
    REQUIRE(count(&got).ok());
    REQUIRE(got.size() == kSeries);
    for (const auto& [series, n] : got) {
      INFO(series);
      CHECK(n.first == static_cast<size_t>(kRounds));
      CHECK(n.second == static_cast<size_t>(kRounds));
    }
  }
}

// The window the writing flag guards, made certain: a search that runs after a
// flush wrote its blocks but before the flush moved the epoch reads the new block
// from RocksDB; were its entry kept, the flush would append that block a second time.
TEST_CASE("a search between a flush's write and its epoch move leaves no entry behind") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  std::function<void()> during_flush;
  o.after_flush_write = [&] {
    if (during_flush) during_flush();
  };
  auto e = *StorageEngine::Open(o);
  const int64_t t0 = kNow - 3'600'000;
  pb::WriteResponse resp;
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "c"}, {"i", "a"}}, Ramp(t0, 4, 15'000));
  REQUIRE(e->Write(req, &resp).ok());
  REQUIRE(e->Persist().ok());
  req.Clear();
  AddRow(&req, {{"__name__", "c"}, {"i", "a"}}, Ramp(t0 + 60'000, 4, 15'000, 4));
  REQUIRE(e->Write(req, &resp).ok());
  pb::SearchRequest sreq;
  *sreq.add_matchers() = M(pb::EQUAL, "__name__", "c");
  sreq.set_min_time_ms(t0);
  sreq.set_max_time_ms(kNow);
  auto raw_samples = [&] {  // samples in the blocks as sent, duplicates included
    size_t n = 0;
    REQUIRE(e->Search(sreq, [&](pb::SearchSeries&& s) {
                 for (const auto& b : s.blocks()) n += b.samples();
                 return true;
               }).ok());
    return n;
  };
  size_t during = 0;
  during_flush = [&] { during = raw_samples(); };  // the entry is not cached yet: a RocksDB read
  REQUIRE(e->Persist().ok());
  during_flush = nullptr;
  // Both blocks, and the new samples once more from the flush's copy of the head
  // (a reader may see both; select collapses them).
  CHECK(during == 12);
  CHECK(raw_samples() == 8);
  CHECK(raw_samples() == 8);  // from the cache
  CHECK(e->stats().block_cache_hits > 0);
}

// Under live ingest each compaction rewrites every active series' small blocks: it
// hands the cache their new block lists instead of retiring it.
TEST_CASE("the block cache is carried over a compaction with the rewritten series' blocks") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  auto e = *StorageEngine::Open(o);
  const int64_t t0 = kNow - 3'600'000;
  pb::WriteResponse resp;
  for (int flush = 0; flush < 3; ++flush) {  // three small blocks per series
    pb::WriteRequest req;
    for (int i = 0; i < 20; ++i) {
      AddRow(&req, {{"__name__", "c"}, {"i", std::to_string(i)}}, Ramp(t0 + flush * 60'000, 4, 15'000, flush * 4));
    }
    REQUIRE(e->Write(req, &resp).ok());
    REQUIRE(e->Persist().ok());
  }
  pb::SearchRequest sreq;
  *sreq.add_matchers() = M(pb::EQUAL, "__name__", "c");
  sreq.set_min_time_ms(t0);
  sreq.set_max_time_ms(kNow);
  auto blocks_and_samples = [&] {
    std::map<std::string, std::pair<int, std::vector<Sample>>> out;
    REQUIRE(e->Search(sreq, [&](pb::SearchSeries&& s) {
                 auto& [blocks, samples] = out[LabelsFromProto(s.labels())->ToString()];
                 blocks = s.blocks_size();
                 for (const auto& b : s.blocks()) REQUIRE(DecodeProtoBlock(b, &samples).ok());
                 return true;
               }).ok());
    return out;
  };
  auto before = blocks_and_samples();  // fills the cache
  REQUIRE(before.size() == 20);
  CHECK(before.begin()->second.first == 3);
  REQUIRE(e->Compact().ok());
  CHECK(e->stats().blocks_compacted == 60);
  const uint64_t hits = e->stats().block_cache_hits, misses = e->stats().block_cache_misses;
  auto after = blocks_and_samples();
  CHECK(e->stats().block_cache_hits == hits + 20);
  CHECK(e->stats().block_cache_misses == misses);
  REQUIRE(after.size() == 20);
  for (const auto& [series, got] : after) {
    INFO(series);
    CHECK(got.first == 1);  // the merged block, not the three it replaced
    CHECK(got.second == before[series].second);
  }
}

TEST_CASE("a search answers the same with the block cache off") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  o.series_block_cache_bytes = 0;
  auto e = *StorageEngine::Open(o);
  pb::WriteRequest req;
  for (int i = 0; i < 50; ++i) AddRow(&req, {{"__name__", "c"}, {"i", std::to_string(i)}}, Ramp(kNow - 600'000, 20, 15'000, i));
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  REQUIRE(e->Persist().ok());
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "c")}, kNow - 3'600'000, kNow);
  REQUIRE(got.size() == 50);
  CHECK(got["c{i=\"7\"}"].size() == 20);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "c")}, kNow - 3'600'000, kNow) == got);
  CHECK(e->stats().block_cache_hits == 0);
  CHECK(e->stats().block_cache_misses == 0);
  CHECK(e->BlockCacheBytes() == 0);
}
