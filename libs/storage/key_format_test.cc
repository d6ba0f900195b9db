#include "libs/storage/key_format.h"

#include <filesystem>

#include <catch2/catch.hpp>

#include "libs/rpc/write_wire.h"

#include "libs/storage/db.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

using namespace strata::storage;

TEST_CASE("day partitions sort by time, negative times included") {
  CHECK(DayOf(0) < DayOf(kDayMs));
  CHECK(DayOf(-1) + 1 == DayOf(0));
  CHECK(DayOf(kDayMs - 1) == DayOf(0));
  CHECK(DayStartMs(DayOf(5 * kDayMs + 7)) == 5 * kDayMs);
  CHECK(DayStartMs(DayOf(-1)) == -kDayMs);
  CHECK(DayName(DayOf(1764028800000)) == "2025-11-25");
  // Big-endian keys compare like the numbers they hold.
  CHECK(PartitionPrefix(DayOf(0), 0) < PartitionPrefix(DayOf(kDayMs), 0));
}

TEST_CASE("pair keys round-trip, lengths prevent ambiguity") {
  std::string k = PostingKey(7, 42, "job", "node", 99);
  std::string_view name, value;
  uint64_t sid = 0;
  REQUIRE(ParsePairKey(k, &name, &value, &sid));
  CHECK(name == "job");
  CHECK(value == "node");
  CHECK(sid == 99);
  CHECK(PairPrefix(1, 1, "ab", "c") != PairPrefix(1, 1, "a", "bc"));
  CHECK_FALSE(ParsePairKey("short", &name, &value, &sid));
}

TEST_CASE("labels encoding round-trips and rejects garbage") {
  auto ls = *strata::Labels::FromPairs({{"__name__", "up"}, {"job", std::string("a\xc3\xa9\0b", 5)}});
  auto back = DecodeLabels(EncodeLabels(ls));
  REQUIRE(back.ok());
  CHECK(*back == ls);
  CHECK_FALSE(DecodeLabels("\x05\x01").ok());
}

TEST_CASE("stored labels re-encode as TimeSeries.labels entries") {
  for (size_t n : {1, 3, 64, 65, 200}) {
    std::vector<strata::Label> pairs;
    for (size_t i = 0; i < n; ++i) pairs.push_back({"l" + std::to_string(1000 + i), "v" + std::to_string(i)});
    auto ls = *strata::Labels::FromPairs(pairs);
    std::string entries = "junk";
    REQUIRE(EncodedLabelsToEntries(EncodeLabels(ls), &entries).ok());
    std::vector<strata::LabelRef> refs;
    REQUIRE(strata::LabelRefsOf(entries, &refs).ok());
    REQUIRE(refs.size() == n);
    for (size_t i = 0; i < n; ++i) {
      CHECK(refs[i].name == ls.begin()[i].name);
      CHECK(refs[i].value == ls.begin()[i].value);
    }
  }
  std::string out;
  CHECK(EncodedLabelsToEntries("\x05\x01", &out).code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("block value header") {
  std::string v = EncodeBlockValue(-5, 10, 3, "xyz");
  BlockValue bv;
  REQUIRE(DecodeBlockValue(v, &bv));
  CHECK(bv.min_t == -5);
  CHECK(bv.max_t == 10);
  CHECK(bv.count == 3);
  CHECK(bv.data == "xyz");
  CHECK_FALSE(DecodeBlockValue("abc", &bv));
}

TEST_CASE("PrefixSuccessor") {
  CHECK(PrefixSuccessor("ab") == "ac");
  CHECK(PrefixSuccessor(std::string("a\xff", 2)) == "b");
}

TEST_CASE("SeekForward lands where Seek would, stepping or seeking") {
  char tmpl[] = "/tmp/strata-seekforward-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    auto db = *Db::Open(dir);
    rocksdb::WriteBatch batch;
    for (uint64_t k = 0; k < 1000; k += 2) batch.Put(db->blocks(), BlockPrefix(1, 0, k), "v");
    REQUIRE(db->Write(&batch, false).ok());
    std::unique_ptr<rocksdb::Iterator> walk(db->db()->NewIterator(rocksdb::ReadOptions(), db->blocks()));
    std::unique_ptr<rocksdb::Iterator> seek(db->db()->NewIterator(rocksdb::ReadOptions(), db->blocks()));
    // Ascending targets with small and large gaps, hits and misses, past the end.
    for (uint64_t target : {0, 1, 2, 3, 3, 7, 8, 30, 31, 500, 501, 502, 998, 999, 1200}) {
      INFO(target);
      const std::string key = BlockPrefix(1, 0, target);
      SeekForward(walk.get(), key);
      seek->Seek(key);
      REQUIRE(walk->Valid() == seek->Valid());
      if (seek->Valid()) CHECK(walk->key() == seek->key());
    }
  }
  std::filesystem::remove_all(dir);
}
