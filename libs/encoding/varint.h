// Little-endian base-128 varints (the protobuf encoding) and zig-zag for signed
// integers, with bounds-checked reads for untrusted input.
//
//   std::string buf;
//   PutUvarint(&buf, 300);            // appends 0xAC 0x02
//   PutSvarint(&buf, -3);             // zig-zag: appends 0x05
//   ByteReader r(buf);
//   uint64_t u; int64_t s;
//   if (!r.ReadUvarint(&u) || !r.ReadSvarint(&s)) { /* truncated or overlong */ }
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata::encoding {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

inline void PutUvarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
inline void PutSvarint(std::string* out, int64_t v) { PutUvarint(out, ZigZag(v)); }

// Number of bytes PutUvarint writes for v.
inline int UvarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads from a byte range; every Read* returns false (and consumes nothing useful)
// when the input is too short or malformed. Never reads outside the range.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* position() const { return p_; }
  // REQUIRES: n <= remaining().
  void Skip(size_t n) { p_ += n; }

  bool ReadByte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = *p_++;
    return true;
  }
  // Rejects varints longer than 10 bytes or that overflow 64 bits.
  bool ReadUvarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint64_t b = *p_++;
      if (shift == 63 && b > 1) return false;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool ReadSvarint(int64_t* v) {
    uint64_t u;
    if (!ReadUvarint(&u)) return false;
    *v = UnZigZag(u);
    return true;
  }
  bool ReadFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    uint64_t x = 0;
    for (int i = 0; i < 8; ++i) x |= uint64_t{p_[i]} << (8 * i);
    p_ += 8;
    *v = x;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

inline void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

}  // namespace strata::encoding
