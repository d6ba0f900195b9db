#include "libs/model/string_escape.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace strata {
namespace {

// Decodes one rune at s[i]; returns its length (0 when invalid) and sets *rune.
size_t DecodeRune(std::string_view s, size_t i, uint32_t* rune) {
  unsigned char c = s[i];
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  size_t len;
  uint32_t r;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    r = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    r = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    r = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    r = (r << 6) | (cc & 0x3F);
  }
  // Reject overlong encodings, surrogates and out-of-range runes.
  if ((len == 2 && r < 0x80) || (len == 3 && r < 0x800) || (len == 4 && r < 0x10000) || r > 0x10FFFF ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return 0;
  }
  *rune = r;
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  // Label values are nearly always ASCII: check 8 bytes at a time for a high bit.
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // the ASCII tail, without a call per byte
      ++i;
      continue;
    }
    uint32_t r;
    size_t n = DecodeRune(s, i, &r);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    size_t n = DecodeRune(s, i, &r);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out.append(buf);
      ++i;
      continue;
    }
    switch (r) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\a': out.append("\\a"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\v': out.append("\\v"); break;
      default:
        if (r < 0x20 || r == 0x7f) {
          std::snprintf(buf, sizeof buf, "\\x%02x", r);
          out.append(buf);
        } else if (r >= 0x80 && r < 0xA0) {
          std::snprintf(buf, sizeof buf, "\\u%04x", r);
          out.append(buf);
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out.push_back('"');
  return out;
}

std::string CEscapeForMessage(std::string_view s) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < s.size() && out.size() < 128; ++i) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out.append(buf);
    }
  }
  if (out.size() >= 128) out.append("...");
  return out;
}

}  // namespace strata
