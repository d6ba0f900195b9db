#include "libs/http/http_client.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "libs/http/http_server.h"

using namespace strata::http;

TEST_CASE("One-shot helpers and WaitForHttpOk") {
  strata::MetricsRegistry reg;
  HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = 2;
  o.registry = &reg;
  HttpServer server(o);
  std::atomic<int> calls{0};
  server.SetReadinessCheck([&] { return ++calls >= 3; });  // ready on the third probe
  server.Handle("/post", [](const HttpRequest& req, HttpResponse& resp) {
    resp.SetText(req.method + " " + std::string(req.Header("content-type")) + " " + req.body);
  });
  REQUIRE(server.Start().ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  auto r = HttpPost(base + "/post", "hi", "text/x-test");
  REQUIRE(r.ok());
  CHECK(r->body == "POST text/x-test hi");
  r = HttpGet(base + "/health");
  REQUIRE(r.ok());
  CHECK(r->body == "OK");

  CHECK(WaitForHttpOk("127.0.0.1", server.port(), "/ready", absl::Seconds(10)).ok());
  CHECK(calls >= 3);
  auto st = WaitForHttpOk("127.0.0.1", server.port(), "/nope", absl::Milliseconds(300));
  CHECK(st.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(std::string(st.message()).find("last: status 404") != std::string::npos);

  CHECK(HttpGet("ftp://x/").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(HttpGet("http://127.0.0.1:notaport/").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(HttpGet("http:///x").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Transport errors are statuses, not exceptions") {
  // Find a port nobody listens on: bind a server, note its port, shut it down.
  int port;
  {
    strata::MetricsRegistry reg;
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.registry = &reg;
    HttpServer s(o);
    REQUIRE(s.Start().ok());
    port = s.port();
  }
  HttpClient client("127.0.0.1", port, absl::Seconds(2));
  auto r = client.Get("/");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(client.connected());
}
