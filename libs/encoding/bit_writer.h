// Appends bit fields to a std::string, least significant bit first: the first field
// occupies the low bits of the first byte. The last byte is zero-padded by Finish().
//
//   std::string buf;
//   BitWriter w(&buf);
//   w.Write(5, 3);      // bits 101
//   w.Write(1, 1);
//   w.Finish();         // buf == "\x0d"
#pragma once

#include <cstdint>
#include <string>

namespace strata::encoding {

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;

  // Appends the low `n` bits of v. REQUIRES: 0 <= n <= 64. Bits of v above n are
  // ignored.
  void Write(uint64_t v, int n) {
    if (n == 0) return;
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    acc_ |= v << bits_;
    if (bits_ + n >= 64) {
      Flush64();
      acc_ = bits_ == 0 ? 0 : v >> (64 - bits_);
      bits_ = bits_ + n - 64;
    } else {
      bits_ += n;
    }
  }

  // Writes the pending bits, padding the last byte with zeros. The writer must not
  // be used afterwards.
  void Finish() {
    while (bits_ > 0) {
      out_->push_back(static_cast<char>(acc_ & 0xff));
      acc_ >>= 8;
      bits_ -= 8;
    }
    bits_ = 0;
    acc_ = 0;
  }

 private:
  void Flush64() {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(acc_ >> (8 * i));
    out_->append(buf, 8);
  }

  std::string* out_;
  uint64_t acc_ = 0;
  int bits_ = 0;  // valid bits in acc_, < 64
};

}  // namespace strata::encoding
