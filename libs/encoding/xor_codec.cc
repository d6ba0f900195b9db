#include "libs/encoding/xor_codec.h"

#include <bit>
#include <cstdint>
#include <string_view>

#include "libs/encoding/bit_reader.h"
#include "libs/encoding/bit_writer.h"

namespace strata::encoding {

void EncodeXorValues(std::span<const Sample> samples, std::string* out) {
  BitWriter w(out);
  uint64_t prev = std::bit_cast<uint64_t>(samples[0].v);
  w.Write(prev, 64);
  bool have_window = false;
  int lead = 0, trail = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    const uint64_t cur = std::bit_cast<uint64_t>(samples[i].v);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int lz = std::countl_zero(x);
    const int tz = std::countr_zero(x);
    if (lz > 31) lz = 31;  // five bits
    if (have_window && lz >= lead && tz >= trail) {
      w.Write(1, 2);  // bits '1','0': reuse the previous window
      w.Write(x >> trail, 64 - lead - trail);
    } else {
      const int sig = 64 - lz - tz;
      w.Write(3, 2);  // bits '1','1': new window
      w.Write(static_cast<uint64_t>(lz), 5);
      w.Write(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
      w.Write(x >> tz, sig);
      have_window = true;
      lead = lz;
      trail = tz;
    }
  }
  w.Finish();
}

bool DecodeXorValues(ByteReader* in, size_t n, Sample* out) {
  BitReader r(std::string_view(reinterpret_cast<const char*>(in->position()), in->remaining()));
  // The first value takes 64 bits and each other one at least 1.
  if (r.BitsRemaining() < 64 || (r.BitsRemaining() - 64) < n - 1) return false;
  uint64_t prev = r.Read(64);
  out[0].v = std::bit_cast<double>(prev);
  bool have_window = false;
  int lead = 0, trail = 0;
  for (size_t i = 1; i < n; ++i) {
    if (r.ReadBit()) {
      if (r.ReadBit()) {
        const int lz = static_cast<int>(r.Read(5));
        int sig = static_cast<int>(r.Read(6));
        if (sig == 0) sig = 64;
        if (lz + sig > 64) return false;
        lead = lz;
        trail = 64 - lz - sig;
        have_window = true;
      } else if (!have_window) {
        return false;
      }
      const int width = 64 - lead - trail;
      prev ^= r.Read(width) << trail;
    }
    out[i].v = std::bit_cast<double>(prev);
  }
  if (r.failed()) return false;
  in->Skip(r.BytesConsumed());
  return true;
}

}  // namespace strata::encoding
