// Maps request paths to handlers: exact paths first, then the longest matching
// prefix. Used by HttpServer; separate so routing is testable without sockets.
//
//   HttpRouter r;
//   r.Handle("/api/v1/query", query_handler);
//   r.HandlePrefix("/insert/", insert_handler);   // gets path_remainder "42/api/v1/write"
//   const HttpRouter::Route* route = r.Match("/insert/42/api/v1/write", &remainder);
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "libs/http/http_request.h"
#include "libs/http/http_response.h"

namespace strata::http {

// Runs on one of the server's handler threads; may block. Exceptions thrown by a
// handler are caught by the server and answered with 500.
using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

class HttpRouter {
 public:
  struct Route {
    std::string pattern;  // the exact path or the prefix as registered
    HttpHandler handler;
  };

  // Registers `handler` for requests whose decoded path equals `path`. A second
  // registration of the same path replaces the first.
  void Handle(std::string path, HttpHandler handler);
  // Registers `handler` for paths starting with `prefix` (e.g. "/insert/"); the
  // longest matching prefix wins; exact routes win over prefixes.
  void HandlePrefix(std::string prefix, HttpHandler handler);

  // The route for `path` or nullptr. Sets *remainder to the part of `path` after a
  // matched prefix, or to `path` for an exact match.
  const Route* Match(std::string_view path, std::string* remainder) const;

 private:
  std::map<std::string, Route, std::less<>> exact_;
  // Keyed by prefix; Match walks candidates from the longest.
  std::map<std::string, Route, std::less<>> prefixes_;
};

}  // namespace strata::http
