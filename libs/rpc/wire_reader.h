// Protobuf wire primitives read in place, for the messages we read without
// protobuf objects (write_wire.h, search_wire.h). Internal to libs/rpc.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "libs/model/labels.h"

namespace strata::wire {

// Wire types.
constexpr int kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

// Reads protobuf wire primitives from [p, end); on failure records what and where.
class Reader {
 public:
  Reader(std::string_view all) : base_(all.data()) {}

  // The hot paths are inlined and their failures out of line, as in the
  // remote_write decoder (libs/ingest/remote_write.cc).
  [[gnu::always_inline]] bool Varint(const char*& p, const char* end, uint64_t* out) {
    if (p < end && static_cast<uint8_t>(*p) < 0x80) [[likely]] {  // tags and short lengths: one byte
      *out = static_cast<uint8_t>(*p++);
      return true;
    }
    return VarintSlow(p, end, out);
  }
  [[gnu::noinline]] bool VarintSlow(const char*& p, const char* end, uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return Fail(p, "truncated varint");
      uint8_t b = static_cast<uint8_t>(*p++);
      v |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return Fail(p, "varint longer than 10 bytes");
  }
  [[gnu::always_inline]] bool Tag(const char*& p, const char* end, uint32_t* field, int* wt) {
    uint64_t key;
    if (!Varint(p, end, &key)) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wt = static_cast<int>(key & 7);
    if (*field == 0) [[unlikely]] return Fail(p, "field number 0");
    return true;
  }
  [[gnu::always_inline]] bool Len(const char*& p, const char* end, std::string_view* out) {
    uint64_t n;
    if (!Varint(p, end, &n)) return false;
    if (n > static_cast<uint64_t>(end - p)) [[unlikely]] return Fail(p, "length runs past the end of its message");
    *out = std::string_view(p, n);
    p += n;
    return true;
  }
  bool Fixed64(const char*& p, const char* end, uint64_t* out) {
    if (end - p < 8) return Fail(p, "truncated fixed64");
    std::memcpy(out, p, 8);
    p += 8;
    return true;
  }
  bool Skip(const char*& p, const char* end, int wt) {
    uint64_t v;
    std::string_view s;
    switch (wt) {
      case kVarint:
        return Varint(p, end, &v);
      case kFixed64:
        return Fixed64(p, end, &v);
      case kLen:
        return Len(p, end, &s);
      case kFixed32:
        if (end - p < 4) return Fail(p, "truncated fixed32");
        p += 4;
        return true;
      default:
        return Fail(p, absl::StrCat("unsupported wire type ", wt));
    }
  }
  // Calls fn(field, wire_type, p, end) for each field of `msg` in order; fn reads
  // the field's value at p (moving p past it) and returns false to stop. False when
  // fn or a tag fails.
  template <typename Fn>
  [[gnu::always_inline]] bool Fields(std::string_view msg, Fn&& fn) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    while (p < end) {
      uint32_t field;
      int wt;
      if (!Tag(p, end, &field, &wt) || !fn(field, wt, p, end)) return false;
    }
    return true;
  }
  [[gnu::always_inline]] bool Expect(const char* p, int wt, int want, const char* field) {
    if (wt == want) [[likely]] return true;
    return WrongWire(p, wt, want, field);
  }
  [[gnu::noinline, gnu::cold]] bool WrongWire(const char* p, int wt, int want, const char* field) {
    return Fail(p, absl::StrCat("field ", field, " has wire type ", wt, ", want ", want));
  }
  [[gnu::noinline, gnu::cold]] bool Fail(const char* p, std::string what) {
    if (error_.empty()) error_ = absl::StrCat(what, " at byte ", p - base_);
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  const char* base_;
  std::string error_;
};

// A Label message (name = 1, value = 2) as views into `msg`; other fields skipped.
[[gnu::always_inline]] inline bool ReadLabel(Reader& r, std::string_view msg, LabelRef* out) {
  return r.Fields(msg, [&](uint32_t field, int wt, const char*& p, const char* end) {
    if (field != 1 && field != 2) return r.Skip(p, end, wt);
    return r.Expect(p, wt, kLen, field == 1 ? "Label.name" : "Label.value") &&
           r.Len(p, end, field == 1 ? &out->name : &out->value);
  });
}

}  // namespace strata::wire
