#include "libs/rpc/zstd_frame.h"

#include <zstd.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace strata {

namespace {

// Bound-sized output buffers up to this size are kept per thread between calls.
constexpr size_t kKeptScratchBytes = 16 << 20;

}  // namespace

void ZstdCompress(std::string_view in, int level, std::string* out) {
  thread_local ZSTD_CCtx* cctx = ZSTD_createCCtx();
  // The frame is written to a scratch buffer of the worst-case size, then copied:
  // sizing *out to that bound zero-filled it, and a fresh multi-MiB string per
  // call was page faults (~4 % of insert's CPU).
  thread_local std::unique_ptr<char[]> kept;
  thread_local size_t kept_size = 0;
  const size_t bound = ZSTD_compressBound(in.size());
  std::unique_ptr<char[]> once;
  char* scratch;
  if (bound <= kept_size) {
    scratch = kept.get();
  } else if (bound <= kKeptScratchBytes) {
    kept.reset(new char[bound]);
    kept_size = bound;
    scratch = kept.get();
  } else {
    once.reset(new char[bound]);
    scratch = once.get();
  }
  size_t n = ZSTD_compressCCtx(cctx, scratch, bound, in.data(), in.size(), level);
  // Cannot fail with a bound-sized output; keep the contract anyway.
  if (ZSTD_isError(n)) n = 0;
  out->assign(scratch, n);
}

bool IsZstdFrame(std::string_view in) {
  return in.size() >= 4 && static_cast<unsigned char>(in[0]) == 0x28 && static_cast<unsigned char>(in[1]) == 0xB5 &&
         static_cast<unsigned char>(in[2]) == 0x2F && static_cast<unsigned char>(in[3]) == 0xFD;
}

absl::Status ZstdDecompress(std::string_view in, size_t max_bytes, std::string* out) {
  const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return absl::InvalidArgumentError("body is not a zstd frame");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::InvalidArgumentError("zstd frame does not record its content size");
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd frame holds ", size, " bytes, above the limit of ", max_bytes));
  }
  const size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame) || frame != in.size()) {
    return absl::InvalidArgumentError("body is not exactly one zstd frame");
  }
  thread_local ZSTD_DCtx* dctx = ZSTD_createDCtx();
  out->resize(static_cast<size_t>(size));
  const size_t n = ZSTD_decompressDCtx(dctx, out->data(), out->size(), in.data(), in.size());
  if (ZSTD_isError(n)) return absl::InvalidArgumentError(absl::StrCat("corrupt zstd frame: ", ZSTD_getErrorName(n)));
  if (n != out->size()) return absl::InvalidArgumentError("zstd frame is shorter than its recorded size");
  return absl::OkStatus();
}

absl::StatusOr<std::string> ZstdDecompress(std::string_view in, size_t max_bytes) {
  std::string out;
  if (absl::Status s = ZstdDecompress(in, max_bytes, &out); !s.ok()) return s;
  return out;
}

}  // namespace strata
