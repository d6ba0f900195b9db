#include "libs/encoding/block.h"

#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <memory>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/encoding/timestamp_codec.h"
#include "libs/encoding/value_codec.h"
#include "libs/encoding/varint.h"

namespace strata {
namespace {

using encoding::ByteReader;

constexpr uint8_t kFlagZstd = 1;
constexpr uint8_t kKnownFlags = kFlagZstd;
constexpr size_t kChecksumBytes = 4;
// Payloads shorter than this are not worth a zstd attempt (frame overhead alone is
// about a dozen bytes).
constexpr size_t kZstdMinPayload = 64;
constexpr int kZstdLevel = 1;

// An upper bound on the uncompressed payload of a block of `count` samples: a
// timestamp costs at most ~10 bytes and a value at most 9 (an exception), plus
// section headers. Bounds what a corrupt zstd header can make us allocate.
size_t MaxPayloadBytes(uint64_t count) { return 32 * count + 1024; }

uint32_t Checksum(const char* data, size_t n) {
  return static_cast<uint32_t>(XXH3_64bits(data, n));
}

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

struct Header {
  uint8_t flags = 0;
  uint64_t count = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint64_t raw_payload = 0;  // only with kFlagZstd
  std::string_view payload;  // as stored (compressed or not)
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt sample block: ", Sv(what)));
}

absl::StatusOr<Header> ParseHeader(std::string_view block) {
  // The version comes first: another version may lay out even its checksum
  // differently.
  if (!block.empty() && static_cast<uint8_t>(block[0]) != kBlockFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported sample block format version ",
                     static_cast<int>(static_cast<uint8_t>(block[0]))));
  }
  if (block.size() < 5 + kChecksumBytes) return Corrupt("too short");
  const size_t body = block.size() - kChecksumBytes;
  uint32_t stored = 0;
  for (size_t i = 0; i < kChecksumBytes; ++i) {
    stored |= uint32_t{static_cast<uint8_t>(block[body + i])} << (8 * i);
  }
  if (stored != Checksum(block.data(), body)) return Corrupt("checksum mismatch");
  ByteReader r(block.substr(0, body));
  Header h;
  uint8_t version;
  uint64_t span;
  r.ReadByte(&version);
  r.ReadByte(&h.flags);
  if ((h.flags & ~kKnownFlags) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown sample block flags ", static_cast<int>(h.flags)));
  }
  if (!r.ReadUvarint(&h.count) || !r.ReadSvarint(&h.min_t) || !r.ReadUvarint(&span)) {
    return Corrupt("truncated header");
  }
  if (h.count == 0 || h.count > kMaxBlockSamples) return Corrupt("bad sample count");
  h.max_t = static_cast<int64_t>(static_cast<uint64_t>(h.min_t) + span);
  if (h.max_t < h.min_t || (span < h.count - 1)) return Corrupt("bad time range");
  if ((h.flags & kFlagZstd) != 0) {
    if (!r.ReadUvarint(&h.raw_payload) || h.raw_payload > MaxPayloadBytes(h.count)) {
      return Corrupt("bad payload size");
    }
  }
  h.payload = std::string_view(reinterpret_cast<const char*>(r.position()), r.remaining());
  return h;
}

absl::Status DecodePayload(const Header& h, std::vector<Sample>* out) {
  std::string_view payload = h.payload;
  thread_local std::string raw;
  if ((h.flags & kFlagZstd) != 0) {
    thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
    raw.resize(h.raw_payload);
    size_t got =
        ZSTD_decompressDCtx(dctx.get(), raw.data(), raw.size(), payload.data(), payload.size());
    if (ZSTD_isError(got) || got != h.raw_payload) return Corrupt("bad zstd payload");
    payload = raw;
  }
  const size_t old = out->size();
  out->resize(old + h.count);
  Sample* s = out->data() + old;
  ByteReader r(payload);
  if (!encoding::DecodeTimestamps(&r, h.min_t, h.max_t, h.count, s)) {
    out->resize(old);
    return Corrupt("bad timestamps");
  }
  if (!encoding::DecodeValues(&r, h.count, s)) {
    out->resize(old);
    return Corrupt("bad values");
  }
  if (r.remaining() != 0) {
    out->resize(old);
    return Corrupt("trailing bytes");
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeBlock(std::span<const Sample> samples, std::string* out) {
  const size_t n = samples.size();
  assert(n >= 1 && n <= kMaxBlockSamples);
  assert(std::adjacent_find(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
           return a.t >= b.t;
         }) == samples.end());
  thread_local std::string payload;
  payload.clear();
  encoding::EncodeTimestamps(samples, &payload);
  encoding::EncodeValues(samples, &payload);

  const size_t start = out->size();
  out->push_back(static_cast<char>(kBlockFormatVersion));
  out->push_back(0);  // flags, set below
  encoding::PutUvarint(out, n);
  encoding::PutSvarint(out, samples.front().t);
  encoding::PutUvarint(
      out, static_cast<uint64_t>(samples.back().t) - static_cast<uint64_t>(samples.front().t));
  bool compressed = false;
  // (Payloads are at most ~18 bytes a sample; the bound check only keeps the encoder
  // from ever writing a block its own decoder would refuse.)
  if (payload.size() >= kZstdMinPayload && payload.size() <= MaxPayloadBytes(n)) {
    thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
    thread_local std::string z;
    z.resize(ZSTD_compressBound(payload.size()));
    size_t zn = ZSTD_compressCCtx(cctx.get(), z.data(), z.size(), payload.data(), payload.size(),
                                  kZstdLevel);
    if (!ZSTD_isError(zn) && zn + encoding::UvarintLength(payload.size()) < payload.size()) {
      (*out)[start + 1] = static_cast<char>(kFlagZstd);
      encoding::PutUvarint(out, payload.size());
      out->append(z.data(), zn);
      compressed = true;
    }
  }
  if (!compressed) out->append(payload);
  const uint32_t sum = Checksum(out->data() + start, out->size() - start);
  for (size_t i = 0; i < kChecksumBytes; ++i) out->push_back(static_cast<char>(sum >> (8 * i)));
}

absl::Status DecodeBlock(std::string_view block, std::vector<Sample>* out) {
  absl::StatusOr<Header> h = ParseHeader(block);
  if (!h.ok()) return h.status();
  return DecodePayload(*h, out);
}

absl::Status DecodeBlockRange(std::string_view block, int64_t min_t, int64_t max_t,
                              std::vector<Sample>* out) {
  absl::StatusOr<Header> h = ParseHeader(block);
  if (!h.ok()) return h.status();
  if (h->max_t < min_t || h->min_t > max_t || min_t > max_t) return absl::OkStatus();
  const size_t old = out->size();
  absl::Status st = DecodePayload(*h, out);
  if (!st.ok()) return st;
  auto begin = out->begin() + static_cast<std::ptrdiff_t>(old);
  auto lo = std::lower_bound(begin, out->end(), min_t,
                             [](const Sample& s, int64_t t) { return s.t < t; });
  auto hi =
      std::upper_bound(lo, out->end(), max_t, [](int64_t t, const Sample& s) { return t < s.t; });
  out->erase(hi, out->end());
  out->erase(begin, lo);
  return absl::OkStatus();
}

absl::StatusOr<BlockInfo> PeekBlockInfo(std::string_view block) {
  absl::StatusOr<Header> h = ParseHeader(block);
  if (!h.ok()) return h.status();
  return BlockInfo{static_cast<uint32_t>(h->count), h->min_t, h->max_t};
}

}  // namespace strata
