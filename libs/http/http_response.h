// What a handler fills in. The server adds Content-Length, Connection and Server
// and, when the client accepts it and the body is at least kGzipMinBytes (1 KiB),
// gzips the body (unless the handler set its own Content-Encoding, e.g. snappy).
//
//   resp.status = 400;
//   resp.SetHeader("Cache-Control", "no-store");
//   resp.SetJson(R"({"status":"error"})");
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace strata::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers, in order. Content-Type and Content-Length come from the fields
  // above and must not be set here.
  std::vector<std::pair<std::string, std::string>> headers;

  // Replaces any header called `name` (case-insensitive) with one `name: value`.
  void SetHeader(std::string_view name, std::string_view value);
  // The first header called `name` (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;

  // Shorthands: set status/content type/body in one call.
  void SetText(std::string text, int code = 200);
  void SetJson(std::string json, int code = 200);
  // A plain-text error: status from HttpStatusFromCode(st.code()) (libs/common/
  // status_util.h), body = the message and a newline.
  void SetError(const absl::Status& st);
};

}  // namespace strata::http
