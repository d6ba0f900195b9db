// The HTTP/1.1 server every Strata service runs (Boost.Beast underneath).
//
//   strata::http::HttpServerOptions opts;
//   opts.listen = ":8482";                 // all interfaces; "127.0.0.1:0" = any free port
//   strata::http::HttpServer server(opts);
//   server.Handle("/api/v1/query", [&](const HttpRequest& req, HttpResponse& resp) {
//     resp.SetJson(engine.Query(req.Param("query")));
//   });
//   server.HandlePrefix("/insert/", insert_handler);   // req.path_remainder = "42/..."
//   server.SetReadinessCheck([&] { return storage.Ready(); });
//   if (auto st = server.Start(); !st.ok()) { spdlog::error("{}", st.message()); return 1; }
//   strata::http::WaitForTerminationSignal();
//   server.Shutdown(absl::Seconds(10));
//
// Behaviour:
// - Keep-alive (HTTP/1.1 default, HTTP/1.0 with "Connection: keep-alive"); idle
//   connections close after options.idle_timeout. "Expect: 100-continue" is honoured.
// - A body over max_body_bytes gets 413 with a message (before the body is read when
//   Content-Length says so); headers over max_header_bytes get 431.
// - Bodies are read through the connection's buffer grown to 64 KiB (or the body's
//   length), not in header-sized pieces: one read, not seven, for a remote_write body.
// - Requests are parsed on I/O threads and handlers run on a fixed pool of
//   options.threads threads, so a blocking handler never stalls accepting or other
//   connections (only other handlers, once all threads are busy).
// - Params: see HttpRequest. Bad percent escapes are answered 400 by the server.
// - Responses over kGzipMinBytes are gzipped when the request says
//   "Accept-Encoding: gzip" and the handler set no Content-Encoding itself.
// - Built in (registering the same path replaces them): GET /metrics (the registry
//   plus process metrics), /health (200 "OK"), /ready (200 "OK" when the readiness
//   check passes, 503 otherwise; no check = ready). /health and /ready answer from
//   the I/O thread so probes work while every handler thread is busy.
// - Unknown paths: 404. A handler that throws: 500 with the exception text.
// - Metrics (in options.registry): http_requests_total{path,code},
//   http_request_duration_seconds{path} (histogram), http_requests_in_flight; `path`
//   is the matched route pattern (or "unmatched"), never the raw path.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/common/metrics.h"
#include "libs/http/http_router.h"

namespace strata::http {

// Responses whose body is at least this large are gzip candidates.
inline constexpr size_t kGzipMinBytes = 1024;

struct HttpServerOptions {
  // "host:port", ":port" (all interfaces) or "[::1]:port". Port 0 picks a free port.
  std::string listen = ":8080";
  // Handler threads. 0 means 2 x hardware concurrency (at least 4).
  int threads = 0;
  // Threads doing socket I/O and parsing.
  int io_threads = 1;
  size_t max_body_bytes = 64 << 20;
  size_t max_header_bytes = 64 << 10;
  // A keep-alive connection with no request for this long is closed; also bounds
  // reading one request and writing one response.
  absl::Duration idle_timeout = absl::Seconds(120);
  // nullptr means DefaultRegistry(). Must outlive the server.
  MetricsRegistry* registry = nullptr;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  // Calls Shutdown(absl::Seconds(5)) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Route registration. REQUIRES: before Start() (later calls are ignored with an
  // error log: the route table is read without locks once serving).
  void Handle(std::string path, HttpHandler handler);
  void HandlePrefix(std::string prefix, HttpHandler handler);
  // Handlers that answer through an HttpResponder (http_router.h), possibly after
  // they return. Shutdown() waits until every such request has been answered.
  void HandleAsync(std::string path, HttpAsyncHandler handler);
  void HandlePrefixAsync(std::string prefix, HttpAsyncHandler handler);

  // /ready answers 200 while `check()` returns true. May be called at any time;
  // `check` runs on an I/O thread and must be quick and thread-safe.
  void SetReadinessCheck(std::function<bool()> check);

  // Binds, listens and starts the threads. InvalidArgument for a malformed listen
  // address; Unavailable naming the address when it cannot be bound (port in use).
  // REQUIRES: called at most once.
  absl::Status Start();

  // The bound port (useful with port 0). REQUIRES: Start() succeeded.
  int port() const;

  // Stops accepting, closes idle keep-alive connections, lets requests in flight
  // finish and their responses be written (with "Connection: close"), then closes
  // everything still open when `deadline` has passed. Handlers still running then
  // are waited for (their responses are dropped). Idempotent.
  // REQUIRES: not called from a handler (it waits for the handler pool); a handler
  // that wants the process to stop calls RequestTermination() (termination_signal.h).
  void Shutdown(absl::Duration deadline);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace strata::http
