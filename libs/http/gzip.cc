#include "libs/http/gzip.h"

#include <zlib.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/common/absl_compat.h"

namespace strata::http {

bool AcceptsGzip(std::string_view accept_encoding) {
  for (absl::string_view item : absl::StrSplit(Sv(accept_encoding), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    absl::string_view coding = absl::StripAsciiWhitespace(parts[0]);
    if (!absl::EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (absl::StartsWithIgnoreCase(param, "q=") && !absl::SimpleAtod(param.substr(2), &q)) q = 0;
    }
    if (q > 0) return true;
  }
  return false;
}

absl::StatusOr<std::string> GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, data.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InternalError("deflate did not finish");
  return out;
}

absl::StatusOr<std::string> GzipDecompress(std::string_view data, size_t max_output_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return absl::InternalError("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError(rc == Z_BUF_ERROR ? "truncated gzip stream" : "corrupt gzip stream");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_output_bytes) {
      inflateEnd(&zs);
      return absl::ResourceExhaustedError("gzip stream inflates beyond the size limit");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace strata::http
