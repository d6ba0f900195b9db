#include "libs/encoding/int_stream.h"

#include <algorithm>
#include <bit>
#include <string_view>
#include <vector>

#include "libs/encoding/bit_reader.h"
#include "libs/encoding/bit_writer.h"

namespace strata::encoding {
namespace {

inline uint64_t Code(int64_t x, bool zigzag, int64_t base, int shift) {
  uint64_t d = static_cast<uint64_t>(x) - static_cast<uint64_t>(base);
  if (zigzag) return ZigZag(static_cast<int64_t>(d) >> shift);
  return d >> shift;
}

inline int64_t Value(uint64_t code, bool zigzag, int64_t base, int shift) {
  uint64_t d = zigzag ? static_cast<uint64_t>(UnZigZag(code)) << shift : code << shift;
  return static_cast<int64_t>(static_cast<uint64_t>(base) + d);
}

// Header byte: bits 0-2 layout, bit 3 zig-zag, bit 4 a shift byte follows.
constexpr uint8_t kLayoutMask = 7;
constexpr uint8_t kZigZagBit = 8;
constexpr uint8_t kShiftBit = 16;

int WidthCount(IntLayout l) {
  switch (l) {
    case IntLayout::kConst:
      return 0;
    case IntLayout::kFixed:
      return 1;
    case IntLayout::kTwoClass:
      return 2;
    case IntLayout::kThreeClass:
      return 3;
    case IntLayout::kSparse:
      return 2;
    case IntLayout::kRadix:
      return 0;
  }
  return 0;
}

// Radix layouts are tried for radix in [3, kMaxRadix]; above it the saving over
// whole bits is small.
constexpr uint64_t kMaxRadix = uint64_t{1} << 32;

// bits[g] = bits to hold g base-`radix` digits, for g = 0..max group (returned).
int RadixGroupBits(uint64_t radix, int bits[65]) {
  uint64_t p = 1;
  int g = 0;
  bits[0] = 0;
  while (p <= UINT64_MAX / radix) {
    p *= radix;
    bits[++g] = std::bit_width(p - 1);
  }
  return g;
}

// Replaces *best with the cheapest layout for codes relative to (zigzag, base) if
// that beats best->cost_bits.
void Evaluate(std::span<const int64_t> values, bool zigzag, int64_t base, IntStreamPlan* best) {
  const uint64_t n = values.size();
  uint64_t orv = 0;
  for (int64_t x : values) orv |= static_cast<uint64_t>(x) - static_cast<uint64_t>(base);
  const uint64_t head = 1 + UvarintLength(ZigZag(base));
  if (orv == 0) {
    uint64_t cost = 8 * head;
    if (cost < best->cost_bits) {
      *best = IntStreamPlan{};
      best->zigzag = zigzag;
      best->base = base;
      best->cost_bits = cost;
    }
    return;
  }
  const int shift = std::countr_zero(orv);
  uint64_t hist[65] = {};
  uint64_t nz_or = 0, max_gap = 0, last = 0;  // last = index of previous non-zero + 1
  uint64_t max_code = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t u = Code(values[i], zigzag, base, shift);
    ++hist[std::bit_width(u)];
    max_code = std::max(max_code, u);
    if (u != 0) {
      nz_or |= u - 1;
      max_gap = std::max(max_gap, i - last);
      last = i + 1;
    }
  }
  int maxw = 64;
  while (maxw > 0 && hist[maxw] == 0) --maxw;
  // c[w] = number of codes whose width is <= w.
  uint64_t c[65];
  uint64_t run = 0;
  for (int w = 0; w <= 64; ++w) c[w] = run += hist[w];

  // Cost in bits of the layout-specific header bytes plus the codes.
  IntStreamPlan p;
  p.layout = IntLayout::kFixed;
  p.zigzag = zigzag;
  p.base = base;
  p.shift = shift;
  p.w[0] = maxw;
  uint64_t cost = 8 * 1 + (n * maxw + 7) / 8 * 8;
  auto consider = [&](IntLayout layout, uint64_t extra_bytes, uint64_t bits, int w0, int w1,
                      int w2) {
    uint64_t c2 = 8 * extra_bytes + (bits + 7) / 8 * 8;
    if (c2 < cost) {
      cost = c2;
      p.layout = layout;
      p.w[0] = w0;
      p.w[1] = w1;
      p.w[2] = w2;
    }
  };
  for (int w0 = 0; w0 < maxw; ++w0) {
    consider(IntLayout::kTwoClass, 2, n + c[w0] * w0 + (n - c[w0]) * maxw, w0, maxw, 0);
  }
  for (int w0 = 0; w0 + 1 < maxw; ++w0) {
    for (int w1 = w0 + 1; w1 < maxw; ++w1) {
      consider(IntLayout::kThreeClass, 3,
               2 * n - c[w0] + c[w0] * w0 + (c[w1] - c[w0]) * w1 + (n - c[w1]) * maxw, w0, w1,
               maxw);
    }
  }
  const uint64_t nz = n - hist[0];
  consider(IntLayout::kSparse, UvarintLength(nz) + 2,
           nz * (std::bit_width(max_gap) + std::bit_width(nz_or)), std::bit_width(max_gap),
           std::bit_width(nz_or), 0);
  const uint64_t radix = max_code + 1;
  if (radix >= 3 && radix <= kMaxRadix && !std::has_single_bit(radix)) {
    int bits[65];
    const int max_group = RadixGroupBits(radix, bits);
    for (int g = 2; g <= max_group; ++g) {
      const uint64_t b = n / g * bits[g] + bits[n % g];
      uint64_t c2 = 8 * (UvarintLength(radix - 1) + 1) + (b + 7) / 8 * 8;
      if (c2 < cost) {
        cost = c2;
        p.layout = IntLayout::kRadix;
        p.radix = radix;
        p.group = g;
      }
    }
  }
  if (p.layout == IntLayout::kSparse) p.sparse_count = nz;
  p.cost_bits = 8 * (head + (shift != 0 ? 1 : 0)) + cost;
  if (p.cost_bits < best->cost_bits) *best = p;
}

}  // namespace

IntStreamPlan PlanIntStream(std::span<const int64_t> values) {
  IntStreamPlan best;
  if (values.empty()) return best;
  best.cost_bits = UINT64_MAX;
  int64_t mn = values[0];
  for (int64_t x : values) mn = std::min(mn, x);
  Evaluate(values, /*zigzag=*/false, mn, &best);
  if (best.layout == IntLayout::kConst) return best;
  // A centred zig-zag code wins when values cluster around a typical value with
  // outliers on both sides (jittered timestamps, gauge deltas). The centre only
  // affects size, so a median of at most 33 evenly spaced values will do, and zero,
  // the natural centre of residuals and deltas, is tried too.
  constexpr size_t kMedianSample = 33;
  int64_t sample[kMedianSample];
  const size_t m = std::min(values.size(), kMedianSample);
  for (size_t i = 0; i < m; ++i) sample[i] = values[i * values.size() / m];
  int64_t* mid = sample + m / 2;
  std::nth_element(sample, mid, sample + m);
  Evaluate(values, /*zigzag=*/true, *mid, &best);
  if (*mid != 0 && mn < 0) Evaluate(values, /*zigzag=*/true, 0, &best);
  return best;
}

void WriteIntStream(std::span<const int64_t> values, const IntStreamPlan& plan, std::string* out) {
  if (values.empty()) return;
  out->push_back(static_cast<char>(static_cast<uint8_t>(plan.layout) |
                                   (plan.zigzag ? kZigZagBit : 0) |
                                   (plan.shift != 0 ? kShiftBit : 0)));
  PutSvarint(out, plan.base);
  if (plan.layout == IntLayout::kConst) return;
  if (plan.shift != 0) out->push_back(static_cast<char>(plan.shift));
  if (plan.layout == IntLayout::kSparse) PutUvarint(out, plan.sparse_count);
  for (int i = 0; i < WidthCount(plan.layout); ++i) out->push_back(static_cast<char>(plan.w[i]));
  BitWriter w(out);
  const int w0 = plan.w[0], w1 = plan.w[1], w2 = plan.w[2];
  if (plan.layout == IntLayout::kRadix) {
    PutUvarint(out, plan.radix - 1);
    out->push_back(static_cast<char>(plan.group));
    int bits[65];
    RadixGroupBits(plan.radix, bits);
    const size_t g = static_cast<size_t>(plan.group);
    for (size_t i = 0; i < values.size(); i += g) {
      const size_t end = std::min(values.size(), i + g);
      uint64_t x = 0;
      for (size_t j = end; j-- > i;) {
        x = x * plan.radix + Code(values[j], plan.zigzag, plan.base, plan.shift);
      }
      w.Write(x, bits[end - i]);
    }
    w.Finish();
    return;
  }
  if (plan.layout == IntLayout::kSparse) {
    uint64_t last = 0;
    for (uint64_t i = 0; i < values.size(); ++i) {
      uint64_t u = Code(values[i], plan.zigzag, plan.base, plan.shift);
      if (u == 0) continue;
      w.Write(i - last, w0);
      w.Write(u - 1, w1);
      last = i + 1;
    }
    w.Finish();
    return;
  }
  for (int64_t x : values) {
    uint64_t u = Code(x, plan.zigzag, plan.base, plan.shift);
    switch (plan.layout) {
      case IntLayout::kConst:
      case IntLayout::kSparse:
      case IntLayout::kRadix:
        break;
      case IntLayout::kFixed:
        w.Write(u, w0);
        break;
      case IntLayout::kTwoClass:
        if (std::bit_width(u) <= static_cast<unsigned>(w0)) {
          w.Write(0, 1);
          w.Write(u, w0);
        } else {
          w.Write(1, 1);
          w.Write(u, w1);
        }
        break;
      case IntLayout::kThreeClass:
        if (std::bit_width(u) <= static_cast<unsigned>(w0)) {
          w.Write(0, 1);
          w.Write(u, w0);
        } else if (std::bit_width(u) <= static_cast<unsigned>(w1)) {
          w.Write(1, 2);  // bits '1','0'
          w.Write(u, w1);
        } else {
          w.Write(3, 2);  // bits '1','1'
          w.Write(u, w2);
        }
        break;
    }
  }
  w.Finish();
}

bool ReadIntStream(ByteReader* in, size_t n, int64_t* out) {
  if (n == 0) return true;
  uint8_t head;
  int64_t base;
  if (!in->ReadByte(&head) || (head >> 5) != 0 || !in->ReadSvarint(&base)) return false;
  const uint8_t layout_bits = head & kLayoutMask;
  if (layout_bits > static_cast<uint8_t>(IntLayout::kRadix)) return false;
  const auto layout = static_cast<IntLayout>(layout_bits);
  const bool zigzag = (head & kZigZagBit) != 0;
  if (layout == IntLayout::kConst) {
    std::fill(out, out + n, base);
    return true;
  }
  uint8_t shift = 0;
  if ((head & kShiftBit) != 0 && (!in->ReadByte(&shift) || shift > 63)) return false;
  uint64_t sparse_count = 0;
  if (layout == IntLayout::kSparse && (!in->ReadUvarint(&sparse_count) || sparse_count > n)) {
    return false;
  }
  int w[3] = {0, 0, 0};
  const int nw = WidthCount(layout);
  for (int i = 0; i < nw; ++i) {
    uint8_t b;
    if (!in->ReadByte(&b) || b > 64) return false;
    w[i] = b;
    if (layout != IntLayout::kSparse && i > 0 && w[i] <= w[i - 1]) return false;
  }
  uint64_t radix = 0;
  uint8_t group = 0;
  int radix_bits[65];
  if (layout == IntLayout::kRadix) {
    if (!in->ReadUvarint(&radix) || radix < 2 || radix >= kMaxRadix || !in->ReadByte(&group) ||
        group < 1) {
      return false;
    }
    ++radix;
    if (group > RadixGroupBits(radix, radix_bits)) return false;
  }
  BitReader r(std::string_view(reinterpret_cast<const char*>(in->position()), in->remaining()));
  if (layout == IntLayout::kRadix) {
    const size_t g = group;
    if (r.BitsRemaining() / radix_bits[g] < n / g) return false;
    for (size_t i = 0; i < n; i += g) {
      const size_t end = std::min(n, i + g);
      uint64_t x = r.Read(radix_bits[end - i]);
      for (size_t j = i; j < end; ++j) {
        out[j] = Value(x % radix, zigzag, base, shift);
        x /= radix;
      }
    }
    if (r.failed()) return false;
    in->Skip(r.BytesConsumed());
    return true;
  }
  if (layout == IntLayout::kSparse) {
    std::fill(out, out + n, base);
    uint64_t pos = 0;
    for (uint64_t k = 0; k < sparse_count; ++k) {
      pos += r.Read(w[0]);
      uint64_t code = r.Read(w[1]) + 1;
      if (r.failed() || pos >= n) return false;
      out[pos++] = Value(code, zigzag, base, shift);
    }
    in->Skip(r.BytesConsumed());
    return true;
  }
  // Every code takes at least this many bits: reject short input before looping.
  const uint64_t min_bits = layout == IntLayout::kFixed ? w[0] : 1 + w[0];
  if (min_bits > 0 && r.BitsRemaining() / min_bits < n) return false;
  switch (layout) {
    case IntLayout::kConst:
    case IntLayout::kSparse:
    case IntLayout::kRadix:
      break;
    case IntLayout::kFixed:
      if (zigzag) {
        for (size_t i = 0; i < n; ++i) out[i] = Value(r.Read(w[0]), true, base, shift);
      } else {
        for (size_t i = 0; i < n; ++i) out[i] = Value(r.Read(w[0]), false, base, shift);
      }
      break;
    case IntLayout::kTwoClass:
      for (size_t i = 0; i < n; ++i) {
        int width = r.ReadBit() ? w[1] : w[0];
        out[i] = Value(r.Read(width), zigzag, base, shift);
      }
      break;
    case IntLayout::kThreeClass:
      for (size_t i = 0; i < n; ++i) {
        int width = !r.ReadBit() ? w[0] : (r.ReadBit() ? w[2] : w[1]);
        out[i] = Value(r.Read(width), zigzag, base, shift);
      }
      break;
  }
  if (r.failed()) return false;
  in->Skip(r.BytesConsumed());
  return true;
}

}  // namespace strata::encoding
