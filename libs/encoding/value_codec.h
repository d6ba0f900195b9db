// The value section of a block. Two codings, the smaller one chosen per block:
//   decimal: every value as an exact decimal mantissa at one common number of
//            digits (decimal.h), the mantissas raw, as deltas (counters, gauges) or
//            as deltas of deltas, packed as an integer stream (int_stream.h);
//            values with no such form (NaN, stale markers, ±Inf, -0.0, too many
//            digits) are listed as exceptions with their exact bits;
//   xor:     Gorilla XOR (xor_codec.h).
// Byte layout: docs/format/block.md, "Value section".
//
//   EncodeValues(samples, &out);
//   ByteReader r(out);
//   if (!DecodeValues(&r, n, decoded)) { /* corrupt */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "libs/encoding/varint.h"
#include "libs/model/sample.h"

namespace strata::encoding {

enum class MantissaTransform : uint8_t { kRaw = 0, kDelta = 1, kDeltaOfDelta = 2 };

// Kinds of decimal-coding exceptions; kRawBits is followed by the 8 value bytes.
enum class ExceptionKind : uint8_t {
  kRawBits = 0,
  kStaleNaN = 1,
  kPosInf = 2,
  kNegInf = 3,
  kNormalNaN = 4,
  kNegZero = 5,
};

// Appends the value section of `samples`. REQUIRES: !samples.empty().
void EncodeValues(std::span<const Sample> samples, std::string* out);

// Sets out[0..n).v from the section at *in. Returns false when it is malformed or
// truncated. REQUIRES: n >= 1.
bool DecodeValues(ByteReader* in, size_t n, Sample* out);

}  // namespace strata::encoding
