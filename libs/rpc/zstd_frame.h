// One-shot zstd frames for RPC bodies (proto/storage.proto CompressedWriteRequest).
//
//   std::string packed;
//   strata::ZstdCompress(serialized, /*level=*/1, &packed);
//   STRATA_ASSIGN_OR_RETURN(std::string raw, strata::ZstdDecompress(packed, 64 << 20));
//
// Thread-safe: each thread keeps its own compression context.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

// Replaces *out with `in` compressed as one zstd frame that records its content size.
void ZstdCompress(std::string_view in, int level, std::string* out);

// Whether `in` starts with the zstd frame magic number (bytes 28 B5 2F FD).
bool IsZstdFrame(std::string_view in);

// Decompresses one frame. InvalidArgument, naming the problem, when `in` is not a
// single zstd frame with a recorded content size of at most `max_bytes`, or is corrupt.
absl::StatusOr<std::string> ZstdDecompress(std::string_view in, size_t max_bytes);
// The same into *out, replacing its contents but keeping its capacity: a buffer
// reused across calls costs no new pages (a fresh multi-MiB string is page faults).
absl::Status ZstdDecompress(std::string_view in, size_t max_bytes, std::string* out);

}  // namespace strata
