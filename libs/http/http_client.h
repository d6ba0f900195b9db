// A small blocking HTTP/1.1 client for tests, tools and health checks.
//
//   HttpClient client("127.0.0.1", server.port());
//   auto resp = client.Get("/api/v1/query?query=up");          // keeps the connection
//   if (!resp.ok()) ...                                          // transport errors only
//   CHECK(resp->status == 200);
//   auto r2 = client.PostForm("/api/v1/query", {{"query", "up"}});
//   auto r3 = HttpGet("http://127.0.0.1:8481/health");          // one-shot
//   REQUIRE(WaitForHttpOk("127.0.0.1", port, "/ready", absl::Seconds(30)).ok());
//
// The client reuses one connection while the server keeps it alive and reconnects
// (retrying the request once) when a reused connection turns out closed. It does not
// decompress: a gzip response comes back as sent (see gzip.h GzipDecompress).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/http/url.h"

namespace strata::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpClientResponse {
  int status = 0;
  HeaderList headers;  // names as sent by the server
  std::string body;
  // The first header called `name` (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  // `host` is a name or address; nothing is connected until the first request.
  HttpClient(std::string host, int port, absl::Duration timeout = absl::Seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is "/path?query". Errors are transport failures (Unavailable,
  // DeadlineExceeded) or a malformed response (DataLoss); any HTTP status is OK.
  absl::StatusOr<HttpClientResponse> Get(std::string_view target, const HeaderList& headers = {});
  absl::StatusOr<HttpClientResponse> Post(std::string_view target, std::string body,
                                          std::string_view content_type,
                                          const HeaderList& headers = {});
  // POST with an application/x-www-form-urlencoded body.
  absl::StatusOr<HttpClientResponse> PostForm(std::string_view target, const ParamList& params,
                                              const HeaderList& headers = {});
  // Any method. A Host header is added unless given.
  absl::StatusOr<HttpClientResponse> Do(std::string_view method, std::string_view target,
                                        std::string body, const HeaderList& headers);

  // Closes the connection (the next request opens a new one).
  void Close();
  // True while a connection is open (for keep-alive tests).
  bool connected() const;
  // The local "ip:port" of the open connection, "" when none.
  std::string local_address() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot requests to "http://host:port/path?query" on a fresh connection.
// InvalidArgument for a URL that is not http://host[:port][/path].
absl::StatusOr<HttpClientResponse> HttpGet(std::string_view url,
                                           absl::Duration timeout = absl::Seconds(30));
absl::StatusOr<HttpClientResponse> HttpPost(std::string_view url, std::string body,
                                            std::string_view content_type,
                                            absl::Duration timeout = absl::Seconds(30));

// Polls GET `path` on host:port (every 50 ms) until it answers 200. For integration
// tests that start a service process: WaitForHttpOk("127.0.0.1", 8482, "/ready",
// absl::Seconds(30)). DeadlineExceeded naming the last status or error otherwise.
absl::Status WaitForHttpOk(std::string_view host, int port, std::string_view path,
                           absl::Duration timeout);

}  // namespace strata::http
