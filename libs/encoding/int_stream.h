// Integer streams: a sequence of int64 whose length the reader already knows,
// packed with the cheapest of a few layouts chosen per stream. Timestamp residuals
// and decimal mantissa deltas are both written as integer streams.
//
// Each value is first reduced to an unsigned code: x - base (base = minimum), or
// zig-zag(x - base) (base = median) when values straddle a centre; common trailing
// zero bits are shifted out; codes are then bit-packed with one fixed width, with
// a prefix-coded choice of two or three widths (so rare outliers do not widen every
// code), as base-R numbers packing several codes < R (R = 20 costs 4.33 bits a code,
// not 5), or, when most codes are zero, as a list of (gap, code) for the others. Byte
// layout: docs/format/block.md, "Integer stream".
//
//   IntStreamPlan plan = PlanIntStream(values);
//   WriteIntStream(values, plan, &out);
//   ...
//   ByteReader r(out);
//   if (!ReadIntStream(&r, values.size(), decoded.data())) { /* corrupt */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "libs/encoding/varint.h"

namespace strata::encoding {

enum class IntLayout : uint8_t {
  kConst = 0,       // every value equals base; no bits follow
  kFixed = 1,       // each code in w[0] bits
  kTwoClass = 2,    // '0' + w[0] bits | '1' + w[1] bits
  kThreeClass = 3,  // '0' + w[0] bits | '1','0' + w[1] bits | '1','1' + w[2] bits
  kSparse = 4,      // count of non-zero codes, then (gap in w[0] bits, code-1 in w[1])
  kRadix = 5,       // groups of `group` codes < radix, each group one base-radix number
};

struct IntStreamPlan {
  IntLayout layout = IntLayout::kConst;
  bool zigzag = false;
  int64_t base = 0;
  int shift = 0;
  int w[3] = {0, 0, 0};
  uint64_t sparse_count = 0;  // kSparse: number of non-zero codes
  uint64_t radix = 0;         // kRadix: every code is < radix
  int group = 0;              // kRadix: codes per packed number
  uint64_t cost_bits = 0;     // total encoded size in bits, header included
};

// Chooses the cheapest layout for `values`. Pure function; an empty span costs 0.
IntStreamPlan PlanIntStream(std::span<const int64_t> values);

// Size in bytes that WriteIntStream(values, plan, ...) appends.
inline size_t IntStreamBytes(const IntStreamPlan& plan) { return (plan.cost_bits + 7) / 8; }

// Appends `values` encoded with `plan` (which must come from PlanIntStream(values)).
// Writes nothing for an empty span.
void WriteIntStream(std::span<const int64_t> values, const IntStreamPlan& plan, std::string* out);

// Reads `n` values into out[0..n). Returns false on malformed or truncated input.
// Reads nothing when n == 0.
bool ReadIntStream(ByteReader* in, size_t n, int64_t* out);

}  // namespace strata::encoding
