// Packed samples: a byte-aligned codec for samples that are read once and thrown
// away, such as a storage node's head samples on their way to a query node.
//
// A block (libs/encoding/block.h) is several times smaller but costs ~80 ns a sample
// to encode; sending the 16-byte samples as they are costs nothing to encode but
// every copy on both ends (gRPC, the kernel, parsing) moves 16 bytes a sample.
// Packed samples sit between: one control byte per sample, the timestamp's delta of
// delta only when it is not 0, and only the changed bytes of the value's XOR with
// the previous value. A 15 s scrape of a counter takes 2–4 bytes. Byte layout:
// docs/format/packed-samples.md.
//
//   std::string bytes;
//   strata::AppendPackedSamples(samples, &bytes);
//   std::vector<strata::Sample> out;
//   STRATA_RETURN_IF_ERROR(strata::DecodePackedSamples(bytes, samples.size(), kMinTime, kMaxTime, &out));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "libs/model/sample.h"

namespace strata {

// Appends the packed form of `samples` to *out (existing bytes are kept). Nothing
// is written for an empty span.
// REQUIRES: samples sorted by t strictly ascending. Any float64 value is allowed and
// comes back bit for bit.
void AppendPackedSamples(std::span<const Sample> samples, std::string* out);

// Builds packed samples one at a time, for bytes that grow as samples arrive (a
// storage node's head keeps each series' in-order samples this way, so a query
// copies them instead of packing them again). The bytes it writes are exactly what
// AppendPackedSamples writes for the same samples.
//
//   PackedSampleAppender a;
//   std::string bytes;
//   if (a.Accepts(s.t)) a.Append(s, &bytes);  // else the sample is not after the last
// The most bytes one sample takes (the first: 16; any after it: at most 19).
inline constexpr size_t kMaxPackedSampleBytes = 19;

class PackedSampleAppender {
 public:
  // True when `t` may follow: nothing appended yet, or t after the last timestamp.
  bool Accepts(int64_t t) const { return count_ == 0 || t > last_t_; }
  // Appends one sample's bytes to *out. REQUIRES: Accepts(s.t); *out holds exactly
  // the bytes this appender wrote before.
  void Append(const Sample& s, std::string* out);
  uint32_t count() const { return count_; }
  int64_t first_t() const { return first_t_; }
  int64_t last_t() const { return last_t_; }

 private:
  int64_t first_t_ = 0, last_t_ = 0;
  uint64_t last_bits_ = 0, last_delta_ = 0;
  uint32_t count_ = 0;
};

// Decodes `count` packed samples that are exactly `in` and appends those with
// min_t <= t <= max_t to *out. DataLoss (and *out as it was) when `in` is truncated,
// has bytes left over, a malformed control byte or varint, or timestamps that are
// not strictly ascending. Safe on arbitrary bytes; allocates at most one Sample per
// 1 byte of `in` (a sample takes at least one byte after the first).
absl::Status DecodePackedSamples(std::string_view in, size_t count, int64_t min_t, int64_t max_t,
                                 std::vector<Sample>* out);

}  // namespace strata
