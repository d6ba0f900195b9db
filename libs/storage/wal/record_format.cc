#include "libs/storage/wal/record_format.h"

#include <xxhash.h>

#include <cstring>

#include "spdlog/fmt/fmt.h"

namespace strata::wal {
namespace {

void PutFixed32(uint32_t v, std::string* out) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}

void PutFixed64(uint64_t v, std::string* out) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

uint32_t RecordChecksum(uint8_t type, std::string_view payload) {
  const uint64_t seed = static_cast<uint64_t>(payload.size()) | (static_cast<uint64_t>(type) << 32);
  return static_cast<uint32_t>(XXH3_64bits_withSeed(payload.data(), payload.size(), seed));
}

void AppendSegmentHeader(uint64_t segment, std::string* out) {
  out->append(kSegmentMagic);
  out->push_back(static_cast<char>(kFormatVersion));
  out->append(3, '\0');
  PutFixed64(segment, out);
}

bool CheckSegmentHeader(std::string_view header, uint64_t segment) {
  if (header.size() < kSegmentHeaderSize) return false;
  if (header.substr(0, 4) != kSegmentMagic) return false;
  if (static_cast<uint8_t>(header[4]) != kFormatVersion) return false;
  if (header[5] != 0 || header[6] != 0 || header[7] != 0) return false;
  return GetFixed64(header.data() + 8) == segment;
}

void AppendRecord(std::string_view payload, std::string* out) {
  PutFixed32(static_cast<uint32_t>(payload.size()), out);
  out->push_back(static_cast<char>(kRecordTypeFull));
  PutFixed32(RecordChecksum(kRecordTypeFull, payload), out);
  out->append(payload);
}

RecordHeader DecodeRecordHeader(const char* p) {
  RecordHeader h;
  h.length = GetFixed32(p);
  h.type = static_cast<uint8_t>(p[4]);
  h.checksum = GetFixed32(p + 5);
  return h;
}

std::string SegmentFileName(uint64_t segment) { return fmt::format("{:08d}.wal", segment); }

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() < 8 + kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  if (digits.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace strata::wal
