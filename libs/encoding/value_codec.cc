#include "libs/encoding/value_codec.h"

#include <bit>
#include <vector>

#include "libs/encoding/decimal.h"
#include "libs/encoding/int_stream.h"
#include "libs/encoding/xor_codec.h"

namespace strata::encoding {
namespace {

inline int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// The value section's first byte: kXorHead, or for decimal the number of digits in
// bits 0-4 and the MantissaTransform in bits 5-6.
constexpr uint8_t kXorHead = 0x80;

struct Exception {
  uint32_t index;
  uint64_t bits;
};

ExceptionKind KindOf(uint64_t bits) {
  if (bits == kStaleNaNBits) return ExceptionKind::kStaleNaN;
  if (bits == kNormalNaNBits) return ExceptionKind::kNormalNaN;
  if (bits == 0x7ff0000000000000ULL) return ExceptionKind::kPosInf;
  if (bits == 0xfff0000000000000ULL) return ExceptionKind::kNegInf;
  if (bits == 0x8000000000000000ULL) return ExceptionKind::kNegZero;
  return ExceptionKind::kRawBits;
}

bool BitsOfKind(uint8_t kind, uint64_t* bits) {
  switch (static_cast<ExceptionKind>(kind)) {
    case ExceptionKind::kStaleNaN:
      *bits = kStaleNaNBits;
      return true;
    case ExceptionKind::kNormalNaN:
      *bits = kNormalNaNBits;
      return true;
    case ExceptionKind::kPosInf:
      *bits = 0x7ff0000000000000ULL;
      return true;
    case ExceptionKind::kNegInf:
      *bits = 0xfff0000000000000ULL;
      return true;
    case ExceptionKind::kNegZero:
      *bits = 0x8000000000000000ULL;
      return true;
    case ExceptionKind::kRawBits:
      return false;
  }
  return false;
}

// Encodes the decimal section into *out; false when too many values lack a decimal
// form for it to be worth it.
bool EncodeDecimal(std::span<const Sample> samples, std::string* out) {
  const size_t n = samples.size();
  thread_local std::vector<int64_t> m;
  thread_local std::vector<int8_t> digits;  // -1: exception
  thread_local std::vector<Exception> exceptions;
  m.resize(n);
  digits.resize(n);
  exceptions.clear();
  size_t failed = 0;
  size_t with_digits[kMaxDecimalDigits + 1] = {};
  for (size_t i = 0; i < n; ++i) {
    int d;
    if (FloatToDecimal(samples[i].v, &m[i], &d)) {
      digits[i] = static_cast<int8_t>(d);
      ++with_digits[d];
    } else {
      digits[i] = -1;
      ++failed;
    }
  }
  if (failed * 2 > n) return false;
  // The common number of digits: each digit costs every value ~3.3 more bits, so a
  // few values with more digits than the rest (0.1 + 0.2 noise) are cheaper as
  // exceptions (~10 bytes each) than as a reason to widen every mantissa.
  int max_digits = 0;
  uint64_t best_cost = UINT64_MAX;
  size_t above = 0;  // values with more digits than e
  for (int e = kMaxDecimalDigits; e >= 0; --e) {
    if (e < kMaxDecimalDigits) above += with_digits[e + 1];
    if ((failed + above) * 2 > n) break;
    const uint64_t cost =
        8000 * (failed + above) + 332 * static_cast<uint64_t>(e) * n;  // 1/100 bits
    if (cost <= best_cost) {
      best_cost = cost;
      max_digits = e;
    }
  }
  // Mantissas at the common exponent; an exception repeats its neighbour's mantissa
  // so that it costs nothing in the delta stream.
  int64_t last = 0;
  bool have_last = false;
  for (size_t i = 0; i < n; ++i) {
    if (digits[i] >= 0 && digits[i] <= max_digits &&
        RescaleDecimal(samples[i].v, m[i], digits[i], max_digits, &m[i])) {
      if (!have_last) {
        for (size_t j = 0; j < i; ++j) m[j] = m[i];
        have_last = true;
      }
      last = m[i];
      continue;
    }
    exceptions.push_back({static_cast<uint32_t>(i), std::bit_cast<uint64_t>(samples[i].v)});
    m[i] = last;
  }
  if (exceptions.size() * 2 > n) return false;

  thread_local std::vector<int64_t> delta, dod;
  delta.resize(n - 1);
  for (size_t i = 1; i < n; ++i) delta[i - 1] = Sub(m[i], m[i - 1]);
  dod.resize(n >= 3 ? n - 2 : 0);
  for (size_t i = 2; i < n; ++i) dod[i - 2] = Sub(delta[i - 1], delta[i - 2]);
  // Deltas first: when they are constant (a steady counter, a flat gauge) nothing
  // else can be smaller.
  const IntStreamPlan delta_plan = PlanIntStream(delta);
  const size_t delta_cost = UvarintLength(ZigZag(m[0])) + IntStreamBytes(delta_plan);
  IntStreamPlan raw_plan, dod_plan;
  size_t raw_cost = SIZE_MAX, dod_cost = SIZE_MAX;
  if (n < 2 || delta_plan.layout != IntLayout::kConst) {
    raw_plan = PlanIntStream(m);
    raw_cost = IntStreamBytes(raw_plan);
    dod_plan = PlanIntStream(dod);
    dod_cost = UvarintLength(ZigZag(m[0])) + (n >= 2 ? UvarintLength(ZigZag(delta[0])) : 0) +
               IntStreamBytes(dod_plan);
  }
  MantissaTransform transform = MantissaTransform::kRaw;
  if (delta_cost < raw_cost && delta_cost <= dod_cost) {
    transform = MantissaTransform::kDelta;
  } else if (dod_cost < raw_cost && dod_cost < delta_cost) {
    transform = MantissaTransform::kDeltaOfDelta;
  }

  out->push_back(static_cast<char>(max_digits | (static_cast<int>(transform) << 5)));
  PutUvarint(out, exceptions.size());
  uint32_t next = 0;
  for (const Exception& e : exceptions) {
    PutUvarint(out, e.index - next);
    next = e.index + 1;
    ExceptionKind kind = KindOf(e.bits);
    out->push_back(static_cast<char>(kind));
    if (kind == ExceptionKind::kRawBits) PutFixed64(out, e.bits);
  }
  switch (transform) {
    case MantissaTransform::kRaw:
      WriteIntStream(m, raw_plan, out);
      break;
    case MantissaTransform::kDelta:
      PutSvarint(out, m[0]);
      WriteIntStream(delta, delta_plan, out);
      break;
    case MantissaTransform::kDeltaOfDelta:
      PutSvarint(out, m[0]);
      if (n >= 2) PutSvarint(out, delta[0]);
      WriteIntStream(dod, dod_plan, out);
      break;
  }
  return true;
}

bool DecodeDecimal(uint8_t head, ByteReader* in, size_t n, Sample* out) {
  const int digits = head & 31;
  const int transform = head >> 5;
  if (digits > kMaxDecimalDigits || transform > 2) return false;
  uint64_t count;
  if (!in->ReadUvarint(&count) || count > n) return false;
  thread_local std::vector<Exception> exceptions;
  exceptions.clear();
  uint64_t next = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t gap, bits;
    uint8_t kind;
    if (!in->ReadUvarint(&gap) || gap >= n - next || !in->ReadByte(&kind)) return false;
    if (!BitsOfKind(kind, &bits)) {
      if (kind != static_cast<uint8_t>(ExceptionKind::kRawBits) || !in->ReadFixed64(&bits)) {
        return false;
      }
    }
    const uint64_t index = next + gap;
    exceptions.push_back({static_cast<uint32_t>(index), bits});
    next = index + 1;
  }
  thread_local std::vector<int64_t> buf;
  buf.resize(n);
  int64_t* m = buf.data();
  switch (static_cast<MantissaTransform>(transform)) {
    case MantissaTransform::kRaw:
      if (!ReadIntStream(in, n, m)) return false;
      break;
    case MantissaTransform::kDelta: {
      int64_t first;
      if (!in->ReadSvarint(&first) || !ReadIntStream(in, n - 1, m + 1)) return false;
      m[0] = first;
      for (size_t i = 1; i < n; ++i) m[i] = Add(m[i - 1], m[i]);
      break;
    }
    case MantissaTransform::kDeltaOfDelta: {
      int64_t first, d = 0;
      if (!in->ReadSvarint(&first)) return false;
      if (n >= 2 && !in->ReadSvarint(&d)) return false;
      if (n >= 3 && !ReadIntStream(in, n - 2, m + 2)) return false;
      m[0] = first;
      if (n >= 2) m[1] = Add(first, d);
      for (size_t i = 2; i < n; ++i) {
        d = Add(d, m[i]);
        m[i] = Add(m[i - 1], d);
      }
      break;
    }
  }
  if (digits == 0) {
    for (size_t i = 0; i < n; ++i) out[i].v = static_cast<double>(m[i]);
  } else {
    const double scale = kPow10[digits];
    for (size_t i = 0; i < n; ++i) out[i].v = static_cast<double>(m[i]) / scale;
  }
  for (const Exception& e : exceptions) out[e.index].v = std::bit_cast<double>(e.bits);
  return true;
}

}  // namespace

void EncodeValues(std::span<const Sample> samples, std::string* out) {
  const size_t n = samples.size();
  const size_t start = out->size();
  bool decimal = EncodeDecimal(samples, out);
  // A decimal section of at most 2 bytes a value is kept without trying XOR, which
  // needs more than that on anything but constant runs (which decimal codes in ~0).
  if (decimal && out->size() - start <= 2 * n) return;
  thread_local std::string xor_section;
  xor_section.clear();
  xor_section.push_back(static_cast<char>(kXorHead));
  EncodeXorValues(samples, &xor_section);
  if (!decimal || xor_section.size() < out->size() - start) {
    out->resize(start);
    out->append(xor_section);
  }
}

bool DecodeValues(ByteReader* in, size_t n, Sample* out) {
  uint8_t head;
  if (!in->ReadByte(&head)) return false;
  if (head == kXorHead) return DecodeXorValues(in, n, out);
  return DecodeDecimal(head, in, n, out);
}

}  // namespace strata::encoding
