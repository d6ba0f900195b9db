// Gorilla XOR value coding (Facebook's Gorilla paper, Prometheus' chunkenc/xor.go),
// the fallback for values with no compact decimal form: random doubles, NaN-heavy
// series. Each value is XORed with the previous one and only the meaningful bits are
// kept. Byte layout: docs/format/block.md, "XOR values".
//
//   EncodeXorValues(samples, &out);
//   ByteReader r(out);
//   if (!DecodeXorValues(&r, samples.size(), decoded)) { /* corrupt */ }
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "libs/encoding/varint.h"
#include "libs/model/sample.h"

namespace strata::encoding {

// Appends the values of `samples` (bit-exact) as one bit stream padded to a byte.
// REQUIRES: !samples.empty().
void EncodeXorValues(std::span<const Sample> samples, std::string* out);

// Sets out[0..n).v. Returns false on malformed or truncated input. REQUIRES: n >= 1.
bool DecodeXorValues(ByteReader* in, size_t n, Sample* out);

}  // namespace strata::encoding
