// URL pieces for the HTTP server and client: percent-decoding/encoding and
// application/x-www-form-urlencoded query strings (the same rules as Go's net/url,
// which Prometheus clients are written against).
//
//   auto params = ParseQueryString("match[]=up&match[]=%7Bjob%3D%22a%22%7D&step=15");
//   // -> {{"match[]","up"}, {"match[]","{job=\"a\"}"}, {"step","15"}}
//   std::string q = EncodeQueryString({{"query", "rate(x[5m])"}});   // query=rate%28x%5B5m%5D%29
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::http {

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes; with `plus_as_space` (query strings and forms) '+' becomes a
// space. InvalidArgument naming the bad escape for '%' not followed by two hex digits.
absl::StatusOr<std::string> UrlDecode(std::string_view s, bool plus_as_space);

// Escapes everything except unreserved characters (A-Z a-z 0-9 - _ . ~) as %XX;
// with `space_as_plus` a space becomes '+' (form encoding).
std::string UrlEncode(std::string_view s, bool space_as_plus = true);

// Parses `a=1&b=2&a=3` into pairs in order (repeated keys kept, empty segments
// skipped, a key without '=' gets an empty value). Appends to `out`.
absl::Status ParseQueryString(std::string_view query, ParamList* out);
absl::StatusOr<ParamList> ParseQueryString(std::string_view query);

// The inverse: `k=v&k2=v2`, form-encoded.
std::string EncodeQueryString(const ParamList& params);

}  // namespace strata::http
