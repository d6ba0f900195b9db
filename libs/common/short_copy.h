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

inline char* CopyShort(char* dst, const char* src, size_t n) {
  if (n > 32) {
    std::memcpy(dst, src, n);
  } else if (n >= 16) {
    uint64_t a[2], b[2];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
  return dst + n;
}

}  // namespace strata
