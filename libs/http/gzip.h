// gzip for HTTP responses (zlib).
//
//   if (AcceptsGzip(req.Header("Accept-Encoding"))) body = *GzipCompress(body);
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::http {

// True when an Accept-Encoding header value lists gzip (or *) with a non-zero q.
bool AcceptsGzip(std::string_view accept_encoding);

// gzip-wraps `data` (zlib level `level`, 1..9).
absl::StatusOr<std::string> GzipCompress(std::string_view data, int level = 6);

// Inflates a gzip stream; InvalidArgument for corrupt input; ResourceExhausted
// when the output would exceed `max_output_bytes`. Used by tests and the client.
absl::StatusOr<std::string> GzipDecompress(std::string_view data,
                                           size_t max_output_bytes = size_t{1} << 30);

}  // namespace strata::http
