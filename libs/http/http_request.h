// One parsed HTTP request as a handler sees it.
//
//   void HandleQuery(const HttpRequest& req, HttpResponse& resp) {
//     std::string_view q = req.Param("query");               // first value or ""
//     std::vector<std::string> m = req.Params("match[]");    // all values, in order
//     std::string_view ua = req.Header("User-Agent");        // case-insensitive
//   }
//
// params holds the form body (POST with Content-Type application/x-www-form-urlencoded)
// followed by the query-string parameters, so, as in Go's Request.Form, a body value
// wins over a query value for Param(). Malformed escapes never reach a handler: the
// server answers 400 itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libs/http/url.h"

namespace strata::http {

struct HttpRequest {
  std::string method;     // "GET", "POST", ... as sent
  std::string target;     // raw request target: "/api/v1/query?query=up"
  std::string path;       // percent-decoded path without the query: "/api/v1/query"
  std::string raw_query;  // undecoded text after '?', "" when none
  // For a route registered with HandlePrefix(prefix): the decoded path after
  // `prefix` (for prefix "/insert/" and path "/insert/42/api/v1/write",
  // "42/api/v1/write"). Equals `path` for exact routes.
  std::string path_remainder;
  // The route that matched (the exact path or the prefix), used as the metrics label.
  std::string route;
  ParamList params;  // form body params, then query params, each in order
  // Header names lower-cased, values as sent, in order (repeated headers kept).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // peer "ip:port"

  // The first value of parameter `name`, or "" when absent.
  std::string_view Param(std::string_view name) const;
  // The first value, or nullopt when absent (tells "absent" from "empty").
  std::optional<std::string_view> FindParam(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> Params(std::string_view name) const;
  // The first header called `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

}  // namespace strata::http
