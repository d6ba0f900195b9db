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

// Answers a request given to an HttpAsyncHandler. Call it once, from any thread;
// copies share one answer (later calls are ignored). If every copy is destroyed
// without a call, the request is answered 500.
using HttpResponder = std::function<void(HttpResponse)>;
// A handler that may answer after it returns, e.g. from the thread that completes an
// RPC, so no handler thread waits for it. Runs on a handler thread; `req` stays
// valid until `respond` is called (or dropped). A throw before answering is a 500.
using HttpAsyncHandler = std::function<void(const HttpRequest& req, HttpResponder respond)>;

class HttpRouter {
 public:
  struct Route {
    std::string pattern;  // the exact path or the prefix as registered
    HttpHandler handler;
    HttpAsyncHandler async_handler;  // set instead of `handler` by the *Async calls
  };

  // Registers `handler` for requests whose decoded path equals `path`. A second
  // registration of the same path replaces the first.
  void Handle(std::string path, HttpHandler handler);
  // Registers `handler` for paths starting with `prefix` (e.g. "/insert/"); the
  // longest matching prefix wins; exact routes win over prefixes.
  void HandlePrefix(std::string prefix, HttpHandler handler);
  // The same with a handler that answers through a responder.
  void HandleAsync(std::string path, HttpAsyncHandler handler);
  void HandlePrefixAsync(std::string prefix, HttpAsyncHandler handler);

  // The route for `path` or nullptr. Sets *remainder to the part of `path` after a
  // matched prefix, or to `path` for an exact match.
  const Route* Match(std::string_view path, std::string* remainder) const;

 private:
  std::map<std::string, Route, std::less<>> exact_;
  // Keyed by prefix; Match walks candidates from the longest.
  std::map<std::string, Route, std::less<>> prefixes_;
};

}  // namespace strata::http
