#include "libs/ingest/remote_write_encoder.h"

#include <bit>

#include <snappy.h>

namespace strata::ingest {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(std::string* out, uint32_t field, int wire_type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void PutBytes(std::string* out, uint32_t field, std::string_view b) {
  PutTag(out, field, 2);
  PutVarint(out, b.size());
  out->append(b);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Sizes of the nested messages, computed first so each is written once with its
// length prefix (proto3 omits default values, as Prometheus' gogo encoder does).
size_t LabelSize(const Label& l) {
  size_t n = 0;
  if (!l.name.empty()) n += 1 + VarintSize(l.name.size()) + l.name.size();
  if (!l.value.empty()) n += 1 + VarintSize(l.value.size()) + l.value.size();
  return n;
}

size_t SampleSize(const Sample& s) {
  size_t n = 0;
  if (std::bit_cast<uint64_t>(s.v) != 0) n += 1 + 8;
  if (s.t != 0) n += 1 + VarintSize(static_cast<uint64_t>(s.t));
  return n;
}

size_t SeriesSize(const WriteRequestSeries& ts) {
  size_t n = 0;
  for (const Label& l : ts.labels) {
    size_t m = LabelSize(l);
    n += 1 + VarintSize(m) + m;
  }
  for (const Sample& s : ts.samples) {
    size_t m = SampleSize(s);
    n += 1 + VarintSize(m) + m;
  }
  return n;
}

}  // namespace

std::string EncodeWriteRequestProto(std::span<const WriteRequestSeries> series) {
  std::string out;
  for (const WriteRequestSeries& ts : series) {
    PutTag(&out, 1, 2);
    PutVarint(&out, SeriesSize(ts));
    for (const Label& l : ts.labels) {
      PutTag(&out, 1, 2);
      PutVarint(&out, LabelSize(l));
      if (!l.name.empty()) PutBytes(&out, 1, l.name);
      if (!l.value.empty()) PutBytes(&out, 2, l.value);
    }
    for (const Sample& s : ts.samples) {
      PutTag(&out, 2, 2);
      PutVarint(&out, SampleSize(s));
      uint64_t bits = std::bit_cast<uint64_t>(s.v);
      if (bits != 0) {
        PutTag(&out, 1, 1);
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
      }
      if (s.t != 0) {
        PutTag(&out, 2, 0);
        PutVarint(&out, static_cast<uint64_t>(s.t));
      }
    }
  }
  return out;
}

std::string EncodeWriteRequest(std::span<const WriteRequestSeries> series) {
  return SnappyCompress(EncodeWriteRequestProto(series));
}

std::string SnappyCompress(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

}  // namespace strata::ingest
