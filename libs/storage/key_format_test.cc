#include "libs/storage/key_format.h"

#include <catch2/catch.hpp>

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
