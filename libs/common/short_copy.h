// CopyShort: memcpy for the short strings that label names and values are.
//
// A memcpy of a size known only at run time is a call into libc, and the ingest path
// makes several per label (encoding, hashing). Names and values are mostly under 32
// bytes, which two overlapping fixed-size moves copy inline; longer strings still go
// to libc. Reads stay within [src, src + n), writes within [dst, dst + n).
//
//   char* p = CopyShort(buf, name.data(), name.size());  // returns buf + n
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace strata {
namespace short_copy_internal {
struct Bytes16 {
  uint64_t w[2];
};
// Copies n bytes, sizeof(Word) <= n <= 2 * sizeof(Word), as the first and the last
// sizeof(Word) bytes (overlapping in the middle).
template <typename Word>
inline void CopyEnds(char* dst, const char* src, size_t n) {
  Word first, last;
  std::memcpy(&first, src, sizeof(Word));
  std::memcpy(&last, src + n - sizeof(Word), sizeof(Word));
  std::memcpy(dst, &first, sizeof(Word));
  std::memcpy(dst + n - sizeof(Word), &last, sizeof(Word));
}
}  // namespace short_copy_internal

inline char* CopyShort(char* dst, const char* src, size_t n) {
  using namespace short_copy_internal;
  if (n > 32) {
    std::memcpy(dst, src, n);
  } else if (n >= 16) {
    CopyEnds<Bytes16>(dst, src, n);
  } else if (n >= 8) {
    CopyEnds<uint64_t>(dst, src, n);
  } else if (n >= 4) {
    CopyEnds<uint32_t>(dst, src, n);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
  return dst + n;
}

}  // namespace strata
