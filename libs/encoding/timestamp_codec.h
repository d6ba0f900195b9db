// The timestamp section of a block: timestamps 1..n-1 (timestamp 0 and the last one
// are in the block header) as the cheapest of
//   grid:  t_i = t_0 + i * step + r_i, residuals r_i as an integer stream (a scrape
//          series with exact intervals costs a few bytes per block);
//   delta: t_i - t_{i-1} as an integer stream;
//   dod:   the first delta, then deltas of deltas (Gorilla's idea).
// Byte layout: docs/format/block.md, "Timestamp section".
//
//   EncodeTimestamps(samples, &out);
//   ByteReader r(out);
//   if (!DecodeTimestamps(&r, min_t, max_t, n, decoded)) { /* corrupt */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "libs/encoding/varint.h"
#include "libs/model/sample.h"

namespace strata::encoding {

enum class TimestampMode : uint8_t { kGrid = 0, kDelta = 1, kDeltaOfDelta = 2 };

// Appends the timestamp section of `samples` (nothing when there is one sample).
// REQUIRES: timestamps strictly ascending.
void EncodeTimestamps(std::span<const Sample> samples, std::string* out);

// Sets out[0..n).t from the section at *in. out[0].t = min_t. Returns false when
// the section is malformed, the timestamps are not strictly ascending, or the last
// one is not max_t. REQUIRES: n >= 1.
bool DecodeTimestamps(ByteReader* in, int64_t min_t, int64_t max_t, size_t n, Sample* out);

}  // namespace strata::encoding
