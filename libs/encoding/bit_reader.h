// Reads bit fields written by BitWriter (least significant bit first) from a byte
// range, for untrusted input: a read past the end returns 0 and sets failed(); it
// never touches memory outside the range.
//
//   BitReader r(bytes);
//   uint64_t a = r.Read(3);
//   if (r.failed()) { /* truncated */ }
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace strata::encoding {

static_assert(std::endian::native == std::endian::little,
              "BitReader's fast path assumes a little-endian host");

class BitReader {
 public:
  explicit BitReader(std::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data())),
        size_(data.size()),
        total_bits_(uint64_t{data.size()} * 8) {}

  // Reads `n` bits. REQUIRES: 0 <= n <= 64.
  uint64_t Read(int n) {
    if (n == 0) return 0;
    if (pos_ + n > total_bits_) {
      failed_ = true;
      pos_ = total_bits_;
      return 0;
    }
    size_t byte = pos_ >> 3;
    int shift = static_cast<int>(pos_ & 7);
    uint64_t v;
    if (n <= 56 && byte + 8 <= size_) {
      std::memcpy(&v, data_ + byte, 8);
      v >>= shift;
      v &= (uint64_t{1} << n) - 1;
    } else {
      v = Slow(byte, shift, n);
    }
    pos_ += n;
    return v;
  }

  bool ReadBit() { return Read(1) != 0; }

  bool failed() const { return failed_; }
  // Bytes consumed so far, counting a partly read byte as consumed.
  size_t BytesConsumed() const { return static_cast<size_t>((pos_ + 7) >> 3); }
  uint64_t BitsRemaining() const { return total_bits_ - pos_; }

 private:
  uint64_t Slow(size_t byte, int shift, int n) const {
    // Gathers up to 9 bytes; only called with pos_ + n <= total_bits_.
    uint64_t lo = 0;
    size_t avail = size_ - byte;
    size_t take = avail < 8 ? avail : 8;
    for (size_t i = 0; i < take; ++i) lo |= uint64_t{data_[byte + i]} << (8 * i);
    uint64_t v = lo >> shift;
    if (shift + n > 64) {
      uint64_t hi = data_[byte + 8];
      v |= hi << (64 - shift);
    }
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  uint64_t total_bits_;
  uint64_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace strata::encoding
