#include "libs/rpc/zstd_frame.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"

namespace strata {

void ZstdCompress(std::string_view in, int level, std::string* out) {
  thread_local ZSTD_CCtx* cctx = ZSTD_createCCtx();
  out->resize(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(cctx, out->data(), out->size(), in.data(), in.size(), level);
  // Cannot fail with a bound-sized output; keep the contract anyway.
  if (ZSTD_isError(n)) n = 0;
  out->resize(n);
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
