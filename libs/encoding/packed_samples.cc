#include "libs/encoding/packed_samples.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/encoding/varint.h"

namespace strata {

static_assert(std::endian::native == std::endian::little, "packed samples assume a little-endian host");

namespace {

// Control byte: bits 0-3 the XOR's significant bytes (0-8), bits 4-6 its trailing
// zero bytes (0-7), bit 7 set when the timestamp's delta of delta is 0 (no varint).
constexpr uint8_t kSameDelta = 0x80;
// First sample (16 bytes) + per further sample control (1) + varint (10) + XOR (8).
constexpr size_t kFirstBytes = 16, kMaxSampleBytes = kMaxPackedSampleBytes;

inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The first sample: its timestamp and value bits, 16 bytes.
inline char* PutFirstSample(char* p, uint64_t t, uint64_t bits) {
  std::memcpy(p, &t, 8);
  std::memcpy(p + 8, &bits, 8);
  return p + kFirstBytes;
}

// A sample after one with timestamp prev_t, value bits prev_bits and timestamp
// delta prev_delta; sets *delta to its own. Stores up to kMaxSampleBytes at p (the
// XOR always as 8 bytes, of which `sig` count) and returns the end of what counts.
// Unsigned arithmetic: any int64 timestamps round-trip modulo 2^64.
inline char* PutNextSample(char* p, uint64_t t, uint64_t bits, uint64_t prev_t, uint64_t prev_bits,
                           uint64_t prev_delta, uint64_t* delta) {
  *delta = t - prev_t;
  const uint64_t dod = *delta - prev_delta;
  const uint64_t x = bits ^ prev_bits;
  unsigned sig = 0, tz = 0;
  if (x != 0) {
    tz = static_cast<unsigned>(std::countr_zero(x)) / 8;
    sig = 8 - static_cast<unsigned>(std::countl_zero(x)) / 8 - tz;
  }
  *p++ = static_cast<char>(sig | (tz << 4) | (dod == 0 ? kSameDelta : 0));
  if (dod != 0) p = PutVarint(p, encoding::ZigZag(static_cast<int64_t>(dod)));
  const uint64_t moved = x >> (8 * tz);
  std::memcpy(p, &moved, 8);
  return p + sig;
}

absl::Status Corrupt(std::vector<Sample>* out, size_t before, size_t i, const char* what) {
  out->resize(before);
  return absl::DataLossError(absl::StrCat("packed samples: ", what, " at sample ", i));
}

}  // namespace

void AppendPackedSamples(std::span<const Sample> samples, std::string* out) {
  if (samples.empty()) return;
  // Encoded into a buffer kept per thread and then appended: sizing *out for the
  // worst case would zero-fill ~6 times the bytes the samples need. A series too
  // long for the kept buffer gets one of its own, so no thread keeps a large one.
  constexpr size_t kKeptScratchBytes = 1 << 20;
  thread_local std::string kept;
  std::string own;
  const size_t need = kFirstBytes + (samples.size() - 1) * kMaxSampleBytes;
  std::string& scratch = need <= kKeptScratchBytes ? kept : own;
  if (scratch.size() < need) scratch.resize(need);
  char* const begin = scratch.data();
  uint64_t prev_t = static_cast<uint64_t>(samples[0].t);
  uint64_t prev_v = std::bit_cast<uint64_t>(samples[0].v);
  char* p = PutFirstSample(begin, prev_t, prev_v);
  uint64_t prev_delta = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    const uint64_t t = static_cast<uint64_t>(samples[i].t);
    const uint64_t bits = std::bit_cast<uint64_t>(samples[i].v);
    // The need above leaves room for the 8-byte store of the last sample's XOR.
    p = PutNextSample(p, t, bits, prev_t, prev_v, prev_delta, &prev_delta);
    prev_t = t;
    prev_v = bits;
  }
  out->append(begin, static_cast<size_t>(p - begin));
}

void PackedSampleAppender::Append(const Sample& s, std::string* out) {
  const uint64_t t = static_cast<uint64_t>(s.t);
  const uint64_t bits = std::bit_cast<uint64_t>(s.v);
  char buf[kMaxSampleBytes + 8];
  char* end;
  if (count_ == 0) {
    end = PutFirstSample(buf, t, bits);
    first_t_ = s.t;
  } else {
    end = PutNextSample(buf, t, bits, static_cast<uint64_t>(last_t_), last_bits_, last_delta_, &last_delta_);
  }
  out->append(buf, static_cast<size_t>(end - buf));
  last_t_ = s.t;
  last_bits_ = bits;
  ++count_;
}

absl::Status DecodePackedSamples(std::string_view in, size_t count, int64_t min_t, int64_t max_t,
                                 std::vector<Sample>* out) {
  const size_t before = out->size();
  if (count == 0) return in.empty() ? absl::OkStatus() : Corrupt(out, before, 0, "bytes for no sample");
  if (in.size() < kFirstBytes) return Corrupt(out, before, 0, "truncated");
  // Every sample after the first takes at least its control byte.
  if (count - 1 > in.size() - kFirstBytes) return Corrupt(out, before, 0, "fewer bytes than samples");
  // Sized for every sample up front and written in place: a sample outside
  // [min_t, max_t] is overwritten by the next one (no branch, no capacity check).
  out->resize(before + count);
  Sample* const dst = out->data() + before;
  size_t kept = 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t* const end = p + in.size();
  uint64_t t = Load64(p), bits = Load64(p + 8);
  p += kFirstBytes;
  auto keep = [&] {
    const int64_t st = static_cast<int64_t>(t);
    dst[kept] = Sample{st, std::bit_cast<double>(bits)};
    kept += static_cast<size_t>(st >= min_t) & static_cast<size_t>(st <= max_t);
  };
  keep();
  uint64_t delta = 0;
  for (size_t i = 1; i < count; ++i) {
    // With kMaxSampleBytes left every read below stays inside `in`, so only the
    // varint's length and the control byte are checked; the tail goes byte by byte.
    const bool roomy = static_cast<size_t>(end - p) >= kMaxSampleBytes;
    if (p == end) return Corrupt(out, before, i, "truncated");
    const uint8_t c = *p++;
    if ((c & kSameDelta) == 0) {
      uint64_t u = 0;
      for (int shift = 0;; shift += 7) {
        if (!roomy && p == end) return Corrupt(out, before, i, "truncated varint");
        const uint8_t b = *p++;
        if (shift == 63 && b > 1) return Corrupt(out, before, i, "varint overflows 64 bits");
        u |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) break;
      }
      delta += static_cast<uint64_t>(encoding::UnZigZag(u));
    }
    const unsigned sig = c & 0x0f, tz = (c >> 4) & 0x07;
    if (sig + tz > 8 || (sig == 0 && tz != 0)) return Corrupt(out, before, i, "bad control byte");
    uint64_t moved;
    if (roomy) {
      // At most 1 + 10 bytes read above, so 8 more are inside the 19.
      moved = Load64(p);
      moved &= sig == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * sig)) - 1;
    } else {
      if (static_cast<size_t>(end - p) < sig) return Corrupt(out, before, i, "truncated value");
      moved = 0;
      for (unsigned k = 0; k < sig; ++k) moved |= static_cast<uint64_t>(p[k]) << (8 * k);
    }
    p += sig;
    bits ^= moved << (8 * tz);
    const uint64_t next = t + delta;
    if (static_cast<int64_t>(next) <= static_cast<int64_t>(t)) {
      return Corrupt(out, before, i, "timestamps not strictly ascending");
    }
    t = next;
    keep();
  }
  if (p != end) return Corrupt(out, before, count, "bytes left over");
  out->resize(before + kept);
  return absl::OkStatus();
}

}  // namespace strata
