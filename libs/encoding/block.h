// Compressed sample blocks: the immutable unit the storage engine writes to disk and
// ships to query nodes as opaque bytes.
//
// A block holds the samples of one series over a time range, sorted by timestamp.
// Timestamps are stored as a constant step plus residuals, deltas, or deltas of
// deltas, whichever is smallest; values as exact decimal mantissas (VictoriaMetrics'
// decimal idea) with delta coding, or Gorilla XOR when that is smaller. Every value
// round-trips bit for bit: NaN payloads, stale markers, -0.0 and ±Inf included.
// A version byte opens the block and a checksum closes it, so truncation and bit
// flips are reported instead of decoded. The byte layout is in docs/format/block.md.
//
//   std::string block;
//   strata::EncodeBlock(samples, &block);             // appends one block
//   STRATA_ASSIGN_OR_RETURN(strata::BlockInfo info, strata::PeekBlockInfo(block));
//   std::vector<strata::Sample> out;
//   STRATA_RETURN_IF_ERROR(strata::DecodeBlock(block, &out));
//
// All functions are thread-safe: they share no mutable state. Each thread keeps
// scratch buffers (and a zstd context) sized to the largest block it has coded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/model/sample.h"

namespace strata {

// The most samples one block may hold. Decoders reject blocks that claim more, which
// bounds the memory a corrupt block can make them allocate.
inline constexpr size_t kMaxBlockSamples = size_t{1} << 20;

// The format version EncodeBlock writes (the first byte of every block).
inline constexpr uint8_t kBlockFormatVersion = 1;

// What a block holds, read from its header.
struct BlockInfo {
  uint32_t count = 0;  // number of samples, >= 1
  int64_t min_t = 0;   // timestamp of the first sample
  int64_t max_t = 0;   // timestamp of the last sample
  friend bool operator==(const BlockInfo&, const BlockInfo&) = default;
};

// Appends one block encoding `samples` to *out (existing bytes are kept).
// REQUIRES: !samples.empty(), samples.size() <= kMaxBlockSamples, samples sorted by
// t strictly ascending (unique t). Any float64 value is allowed.
void EncodeBlock(std::span<const Sample> samples, std::string* out);

// Decodes the block that is exactly `block` and appends its samples to *out, in
// timestamp order. On error returns DataLoss (checksum mismatch, truncation,
// inconsistent content) or InvalidArgument (unknown version or flags) and leaves
// *out as it was. Safe on arbitrary bytes: never
// crashes, never reads outside `block`, allocates at most O(kMaxBlockSamples).
absl::Status DecodeBlock(std::string_view block, std::vector<Sample>* out);

// Like DecodeBlock but appends only the samples with min_t <= t <= max_t.
absl::Status DecodeBlockRange(std::string_view block, int64_t min_t, int64_t max_t,
                              std::vector<Sample>* out);

// Returns {count, min_t, max_t} of a block from its header, after verifying its
// checksum, without decoding the samples. Same errors as DecodeBlock for a bad
// header or checksum (a payload that is corrupt but checksums right is only found
// by DecodeBlock).
absl::StatusOr<BlockInfo> PeekBlockInfo(std::string_view block);

}  // namespace strata
