// RocksDB key and value layouts of the storage node's index and block store.
// docs/format/index.md is the byte-level description; this is the code for it.
//
// Column families (all integers big-endian so keys sort numerically):
//   series    tenant(8) sid(8)                                   -> EncodeLabels()
//   postings  day(4) tenant(8) uv(len) name uv(len) value sid(8) -> ""
//             (name "" value "" = the partition's all-series list)
//   values    day(4) tenant(8) uv(len) name uv(len) value        -> ""
//   blocks    day(4) tenant(8) sid(8) seq(8)                     -> BlockValue
//   meta      ascii key                                          -> value
// day = UTC day number of the sample time + 2^31 (so negative times sort first);
// a partition is all keys of one day; retention deletes whole day ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rocksdb/iterator.h"
#include "rocksdb/slice.h"
#include "libs/model/labels.h"

namespace strata::storage {

inline constexpr int64_t kDayMs = 86'400'000;

// Partition number of a timestamp (floor division, biased to be unsigned).
uint32_t DayOf(int64_t t_ms);
// First and last millisecond of a partition.
int64_t DayStartMs(uint32_t day);
inline int64_t DayEndMs(uint32_t day) { return DayStartMs(day) + kDayMs - 1; }
// "2026-11-25".
std::string DayName(uint32_t day);

void PutBig32(std::string* out, uint32_t v);
void PutBig64(std::string* out, uint64_t v);
uint32_t GetBig32(const char* p);
uint64_t GetBig64(const char* p);
void PutUvarint(std::string* out, uint64_t v);
// Reads a uvarint at *p (< end); advances *p. False on truncation/overlong.
bool GetUvarint(const char** p, const char* end, uint64_t* v);
// Appends uv(len) bytes.
void PutLengthPrefixed(std::string* out, std::string_view s);
bool GetLengthPrefixed(const char** p, const char* end, std::string_view* s);

std::string SeriesKey(uint64_t tenant, uint64_t sid);
// day(4) tenant(8): the prefix of one tenant's part of a partition.
std::string PartitionPrefix(uint32_t day, uint64_t tenant);
// PartitionPrefix + uv name: all postings/values of one label name.
std::string NamePrefix(uint32_t day, uint64_t tenant, std::string_view name);
// NamePrefix + uv value: all postings of one label pair.
std::string PairPrefix(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value);
std::string PostingKey(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value, uint64_t sid);
std::string BlockPrefix(uint32_t day, uint64_t tenant, uint64_t sid);
std::string BlockKey(uint32_t day, uint64_t tenant, uint64_t sid, uint64_t seq);

// Splits a values/postings key after PartitionPrefix into name and value (and sid
// for postings). False when malformed.
bool ParsePairKey(std::string_view key, std::string_view* name, std::string_view* value, uint64_t* sid);

// Positions `it` at the first key >= target, cheaply when the caller visits keys in
// ascending order: from a valid position below the target it first steps forward up
// to `max_steps` times (a Next is far cheaper than a Seek in a memtable or a block
// already read) and seeks only when that does not reach the target.
// REQUIRES: since its last Seek, `it` only moved forward from a position at or
// below every target asked for since.
void SeekForward(rocksdb::Iterator* it, const rocksdb::Slice& target, int max_steps = 8);

// The smallest key greater than every key with prefix `p` (p + 0xff... semantics).
std::string PrefixSuccessor(std::string p);

// Series labels in the series CF: uv(n) then n times uv(len) name uv(len) value.
std::string EncodeLabels(const Labels& labels);
absl::StatusOr<Labels> DecodeLabels(std::string_view data);
// Replaces *out with EncodeLabels() bytes re-encoded as TimeSeries.labels entries
// (libs/rpc/write_wire.h AppendLabelEntries). DataLoss when `data` is corrupt.
absl::Status EncodedLabelsToEntries(std::string_view data, std::string* out);

// Block value: min_t(8) max_t(8) count(4) then the block bytes (docs/format/block.md).
struct BlockValue {
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint32_t count = 0;
  std::string_view data;
};
std::string EncodeBlockValue(int64_t min_t, int64_t max_t, uint32_t count, std::string_view data);
bool DecodeBlockValue(std::string_view v, BlockValue* out);

}  // namespace strata::storage
