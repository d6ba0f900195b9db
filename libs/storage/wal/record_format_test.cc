#include "libs/storage/wal/record_format.h"

#include <catch2/catch.hpp>

namespace strata::wal {
namespace {

TEST_CASE("segment header round trip and rejection", "[wal][format]") {
  std::string h;
  AppendSegmentHeader(42, &h);
  REQUIRE(h.size() == kSegmentHeaderSize);
  CHECK(h.substr(0, 4) == "SWAL");
  CHECK(static_cast<uint8_t>(h[4]) == kFormatVersion);
  CHECK(static_cast<uint8_t>(h[8]) == 42);  // little endian
  CHECK(CheckSegmentHeader(h, 42));
  CHECK_FALSE(CheckSegmentHeader(h, 43));
  CHECK_FALSE(CheckSegmentHeader(h.substr(0, 15), 42));
  std::string bad = h;
  bad[0] = 'X';
  CHECK_FALSE(CheckSegmentHeader(bad, 42));
  bad = h;
  bad[4] = 2;
  CHECK_FALSE(CheckSegmentHeader(bad, 42));
}

TEST_CASE("record framing is length, type, checksum, payload", "[wal][format]") {
  std::string out;
  AppendRecord("hello", &out);
  REQUIRE(out.size() == kRecordHeaderSize + 5);
  RecordHeader h = DecodeRecordHeader(out.data());
  CHECK(h.length == 5);
  CHECK(h.type == kRecordTypeFull);
  CHECK(h.checksum == RecordChecksum(kRecordTypeFull, "hello"));
  CHECK(static_cast<uint8_t>(out[0]) == 5);
  CHECK(out.substr(kRecordHeaderSize) == "hello");
}

// The example in docs/format/wal.md: the format is frozen, these bytes must not change.
TEST_CASE("golden bytes of a one-record segment", "[wal][format]") {
  std::string out;
  AppendSegmentHeader(1, &out);
  AppendRecord("hi", &out);
  const unsigned char want[] = {0x53, 0x57, 0x41, 0x4c, 0x01, 0x00, 0x00, 0x00, 0x01,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
                                0x00, 0x00, 0x01, 0x10, 0xe0, 0x41, 0xf7, 0x68, 0x69};
  CHECK(out == std::string(reinterpret_cast<const char*>(want), sizeof(want)));
}

TEST_CASE("checksum changes with payload, length and type", "[wal][format]") {
  uint32_t base = RecordChecksum(1, "abc");
  CHECK(RecordChecksum(1, "abd") != base);
  CHECK(RecordChecksum(2, "abc") != base);
  CHECK(RecordChecksum(1, std::string_view("abc\0", 4)) != base);
  CHECK(RecordChecksum(1, "abc") == base);
}

TEST_CASE("segment file names", "[wal][format]") {
  CHECK(SegmentFileName(1) == "00000001.wal");
  CHECK(SegmentFileName(123456789) == "123456789.wal");
  CHECK(ParseSegmentFileName("00000001.wal") == 1u);
  CHECK(ParseSegmentFileName("123456789.wal") == 123456789u);
  CHECK_FALSE(ParseSegmentFileName("0000001.wal").has_value());
  CHECK_FALSE(ParseSegmentFileName("0000000a.wal").has_value());
  CHECK_FALSE(ParseSegmentFileName("00000001.wal.tmp").has_value());
  CHECK_FALSE(ParseSegmentFileName("checkpoint").has_value());
}

}  // namespace
}  // namespace strata::wal
