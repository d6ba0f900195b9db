// The WAL's on-disk framing (docs/format/wal.md is the byte-level spec; keep the
// two in step). Internal to libs/storage/wal: the Wal writes with these helpers,
// SegmentReader parses with them.
//
//   std::string out;
//   AppendSegmentHeader(7, &out);               // 16 bytes, starts segment 7
//   AppendRecord("payload", &out);              // 9-byte header + payload
//   SegmentFileName(7) == "00000007.wal"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::wal {

// Segment header: magic "SWAL", version, 3 zero bytes, segment number (u64 LE).
inline constexpr std::string_view kSegmentMagic = "SWAL";
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr uint64_t kSegmentHeaderSize = 16;

// Record header: payload length (u32 LE), type (u8), checksum (u32 LE).
inline constexpr uint64_t kRecordHeaderSize = 9;
// The only record type so far: a whole record. 0 is never valid, so zero-filled
// space (preallocation, a hole after a crash) reads as corrupt, not as records.
inline constexpr uint8_t kRecordTypeFull = 1;
// Longest payload; a larger length field is corruption.
inline constexpr uint64_t kMaxRecordSize = 1ull << 30;

// The record checksum: the low 32 bits of XXH3-64 of the payload with seed
// `length | type << 32`, so a damaged length or type fails it as well.
uint32_t RecordChecksum(uint8_t type, std::string_view payload);

// Appends the 16-byte header of segment `segment` to `out`.
void AppendSegmentHeader(uint64_t segment, std::string* out);
// True when `header` (at least kSegmentHeaderSize bytes) is a valid header of
// segment `segment`.
bool CheckSegmentHeader(std::string_view header, uint64_t segment);

// Appends the framed record (header + payload) to `out`.
// REQUIRES: payload.size() <= kMaxRecordSize.
void AppendRecord(std::string_view payload, std::string* out);

struct RecordHeader {
  uint32_t length = 0;
  uint8_t type = 0;
  uint32_t checksum = 0;
};
// Decodes kRecordHeaderSize bytes at `p`.
RecordHeader DecodeRecordHeader(const char* p);

// "00000007.wal" (at least 8 digits, zero padded).
std::string SegmentFileName(uint64_t segment);
// The segment number of a file named like SegmentFileName(), or nullopt.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

}  // namespace strata::wal
