#include "libs/http/http_server.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/str_join.h"
#include "libs/http/gzip.h"
#include "libs/http/http_client.h"

using namespace strata::http;
using namespace std::chrono_literals;

namespace {

HttpServerOptions TestOptions(strata::MetricsRegistry* registry) {
  HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = 4;
  o.registry = registry;
  return o;
}

// Echoes what the server parsed, one fact per line.
void Echo(const HttpRequest& req, HttpResponse& resp) {
  std::string out = "method=" + req.method + "\npath=" + req.path + "\nremainder=" + req.path_remainder +
                    "\nroute=" + req.route + "\n";
  for (const auto& [k, v] : req.params) out += "param " + k + "=" + v + "\n";
  out += "body=" + req.body + "\n";
  resp.SetText(out);
}

}  // namespace

TEST_CASE("Routes, params from GET and form POST, URL escapes") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  server.Handle("/echo", Echo);
  server.HandlePrefix("/insert/", Echo);
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Get("/echo?match[]=up&match[]=%7Bjob%3D%22a%22%7D&q=a+b%2Bc");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body ==
        "method=GET\npath=/echo\nremainder=/echo\nroute=/echo\n"
        "param match[]=up\nparam match[]={job=\"a\"}\nparam q=a b+c\nbody=\n");
  CHECK(r->Header("content-type") == "text/plain; charset=utf-8");

  // Form body first, then the query string; repeated keys in order.
  r = client.PostForm("/echo?from=query", {{"query", "sum(rate(x[5m]))"}, {"match[]", "a"}, {"match[]", "b"}});
  REQUIRE(r.ok());
  CHECK(r->body ==
        "method=POST\npath=/echo\nremainder=/echo\nroute=/echo\n"
        "param query=sum(rate(x[5m]))\nparam match[]=a\nparam match[]=b\nparam from=query\n"
        "body=query=sum%28rate%28x%5B5m%5D%29%29&match%5B%5D=a&match%5B%5D=b\n");

  // A non-form POST body is not parsed as params.
  r = client.Post("/echo", "a=b", "application/octet-stream");
  REQUIRE(r.ok());
  CHECK(r->body.find("param") == std::string::npos);
  CHECK(r->body.find("body=a=b\n") != std::string::npos);

  // Prefix routes get the remainder, decoded.
  r = client.Get("/insert/42:7/api/v1/wr%69te");
  REQUIRE(r.ok());
  CHECK(r->body.find("path=/insert/42:7/api/v1/write\nremainder=42:7/api/v1/write\nroute=/insert/\n") == 11);

  r = client.Get("/nope");
  REQUIRE(r.ok());
  CHECK(r->status == 404);

  r = client.Get("/echo?a=%zz");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(r->body.find("invalid URL escape \"%zz\"") != std::string::npos);
  server.Shutdown(absl::Seconds(5));
}

TEST_CASE("Keep-alive serves two requests on one connection") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  server.Handle("/peer", [](const HttpRequest& req, HttpResponse& resp) { resp.SetText(req.remote); });
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto a = client.Get("/peer");
  REQUIRE(a.ok());
  REQUIRE(client.connected());
  std::string local = client.local_address();
  auto b = client.Get("/peer");
  REQUIRE(b.ok());
  CHECK(a->body == local);  // the server saw our socket's address...
  CHECK(b->body == local);  // ...and the same one again
  CHECK(client.local_address() == local);

  // An HTTP/1.1 client asking to close gets "Connection: close".
  auto c = client.Get("/peer", {{"Connection", "close"}});
  REQUIRE(c.ok());
  CHECK(c->Header("Connection") == "close");
  CHECK_FALSE(client.connected());
}

TEST_CASE("Oversized bodies get 413 with a message") {
  strata::MetricsRegistry reg;
  auto opts = TestOptions(&reg);
  opts.max_body_bytes = 1000;
  HttpServer server(opts);
  server.Handle("/echo", Echo);
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Post("/echo", std::string(1000, 'x'), "text/plain");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  r = client.Post("/echo", std::string(5000, 'x'), "text/plain");
  REQUIRE(r.ok());
  CHECK(r->status == 413);
  CHECK(r->body == "request body exceeds the limit of 1000 bytes\n");
  // With Expect: 100-continue the server answers 413 without reading the body.
  HttpClient client2("127.0.0.1", server.port());
  r = client2.Post("/echo", std::string(200000, 'y'), "text/plain", {{"Expect", "100-continue"}});
  REQUIRE(r.ok());
  CHECK(r->status == 413);
  // A small body with Expect: 100-continue goes through (100 first, then the answer).
  HttpClient client3("127.0.0.1", server.port());
  r = client3.Post("/echo", "hello", "text/plain", {{"Expect", "100-continue"}});
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body.find("body=hello\n") != std::string::npos);
}

TEST_CASE("Large responses are gzipped when the client accepts gzip") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  std::string big;
  for (int i = 0; i < 500; ++i) big += "line " + std::to_string(i) + "\n";
  server.Handle("/big", [&](const HttpRequest&, HttpResponse& resp) { resp.SetText(big); });
  server.Handle("/small", [](const HttpRequest&, HttpResponse& resp) { resp.SetText("tiny"); });
  server.Handle("/snappy", [&](const HttpRequest&, HttpResponse& resp) {
    resp.SetText(big);
    resp.SetHeader("Content-Encoding", "snappy");
  });
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Get("/big", {{"Accept-Encoding", "gzip, deflate"}});
  REQUIRE(r.ok());
  CHECK(r->Header("Content-Encoding") == "gzip");
  CHECK(r->body.size() < big.size());
  auto plain = GzipDecompress(r->body);
  REQUIRE(plain.ok());
  CHECK(*plain == big);

  r = client.Get("/big");
  REQUIRE(r.ok());
  CHECK(r->Header("Content-Encoding").empty());
  CHECK(r->body == big);

  r = client.Get("/small", {{"Accept-Encoding", "gzip"}});
  REQUIRE(r.ok());
  CHECK(r->Header("Content-Encoding").empty());
  CHECK(r->body == "tiny");

  r = client.Get("/snappy", {{"Accept-Encoding", "gzip"}});
  REQUIRE(r.ok());
  CHECK(r->Header("Content-Encoding") == "snappy");
  CHECK(r->body == big);
}

TEST_CASE("/metrics, /health and /ready") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  std::atomic<bool> ready{false};
  server.SetReadinessCheck([&] { return ready.load(); });
  server.Handle("/echo", Echo);
  server.Handle("/fail", [](const HttpRequest&, HttpResponse&) { throw std::runtime_error("boom"); });
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Get("/health");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "OK");
  r = client.Get("/ready");
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  ready = true;
  r = client.Get("/ready");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  ready = false;
  CHECK(client.Get("/ready")->status == 503);

  for (int i = 0; i < 3; ++i) REQUIRE(client.Get("/echo?x=1")->status == 200);
  r = client.Get("/fail");
  REQUIRE(r.ok());
  CHECK(r->status == 500);
  CHECK(r->body == "internal error: boom\n");
  REQUIRE(client.Get("/nope")->status == 404);

  r = client.Get("/metrics");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->Header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r->body;
  INFO(m);
  CHECK(m.find("\nhttp_requests_total{path=\"/echo\",code=\"200\"} 3\n") != std::string::npos);
  CHECK(m.find("\nhttp_requests_total{path=\"/fail\",code=\"500\"} 1\n") != std::string::npos);
  CHECK(m.find("\nhttp_requests_total{path=\"/ready\",code=\"503\"} 2\n") != std::string::npos);
  CHECK(m.find("\nhttp_requests_total{path=\"unmatched\",code=\"404\"} 1\n") != std::string::npos);
  CHECK(m.find("\nhttp_request_duration_seconds_count{path=\"/echo\"} 3\n") != std::string::npos);
  CHECK(m.find("\nhttp_request_duration_seconds_bucket{path=\"/echo\",le=\"+Inf\"} 3\n") != std::string::npos);
  // The /metrics request itself is in flight while it renders.
  CHECK(m.find("\nhttp_requests_in_flight 1\n") != std::string::npos);
  CHECK(m.find("\nprocess_open_fds ") != std::string::npos);
  CHECK(m.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

TEST_CASE("Slow handlers block neither other connections nor probes") {
  strata::MetricsRegistry reg;
  auto opts = TestOptions(&reg);
  opts.threads = 3;
  HttpServer server(opts);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int slow_started = 0;
  std::atomic<int> slow_done{0};
  server.Handle("/slow", [&](const HttpRequest&, HttpResponse& resp) {
    std::unique_lock lock(mu);
    ++slow_started;
    cv.notify_all();
    cv.wait_for(lock, 20s, [&] { return release; });
    slow_done++;
    resp.SetText("slow");
  });
  server.Handle("/fast", [](const HttpRequest&, HttpResponse& resp) { resp.SetText("fast"); });
  REQUIRE(server.Start().ok());
  const int port = server.port();

  std::vector<std::future<int>> slow;
  for (int i = 0; i < 2; ++i) {
    slow.push_back(std::async(std::launch::async, [port] {
      HttpClient c("127.0.0.1", port);
      auto r = c.Get("/slow");
      return r.ok() ? r->status : -1;
    }));
  }
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 20s, [&] { return slow_started == 2; }));
  }
  HttpClient client("127.0.0.1", port);
  auto r = client.Get("/fast");
  REQUIRE(r.ok());
  CHECK(r->body == "fast");
  CHECK(slow_done == 0);  // answered while both slow handlers were still blocked

  {
    std::unique_lock lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& f : slow) CHECK(f.get() == 200);
  CHECK(slow_done == 2);
}

TEST_CASE("/health answers while all handler threads are blocked") {
  strata::MetricsRegistry reg;
  auto opts = TestOptions(&reg);
  opts.threads = 1;
  HttpServer server(opts);
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_f = release.get_future().share();
  server.Handle("/block", [&](const HttpRequest&, HttpResponse& resp) {
    started.set_value();
    release_f.wait_for(20s);
    resp.SetText("done");
  });
  REQUIRE(server.Start().ok());
  auto blocked = std::async(std::launch::async, [port = server.port()] {
    HttpClient c("127.0.0.1", port);
    auto r = c.Get("/block");
    return r.ok() ? r->status : -1;
  });
  started.get_future().wait();
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Get("/health");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(blocked.wait_for(0s) == std::future_status::timeout);
  release.set_value();
  CHECK(blocked.get() == 200);
}

TEST_CASE("Shutdown finishes an in-flight request and closes idle connections") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  std::promise<void> started;
  server.Handle("/slow", [&](const HttpRequest&, HttpResponse& resp) {
    started.set_value();
    std::this_thread::sleep_for(300ms);
    resp.SetText("finished");
  });
  server.Handle("/echo", Echo);
  REQUIRE(server.Start().ok());
  const int port = server.port();

  HttpClient idle("127.0.0.1", port);
  REQUIRE(idle.Get("/echo")->status == 200);
  REQUIRE(idle.connected());

  auto inflight = std::async(std::launch::async, [port] {
    HttpClient c("127.0.0.1", port);
    return c.Get("/slow");
  });
  started.get_future().wait();
  auto t0 = std::chrono::steady_clock::now();
  server.Shutdown(absl::Seconds(20));
  auto took = std::chrono::steady_clock::now() - t0;
  auto r = inflight.get();
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "finished");
  CHECK(r->Header("Connection") == "close");
  // Shutdown waited for the slow handler but not for the idle keep-alive connection.
  CHECK(took >= 200ms);
  CHECK(took < 10s);
  // The server is gone: new requests fail at the transport level.
  HttpClient late("127.0.0.1", port, absl::Seconds(2));
  CHECK_FALSE(late.Get("/echo").ok());
  CHECK_FALSE(idle.Get("/echo").ok());
  server.Shutdown(absl::Seconds(1));  // idempotent
}

// Async handlers answer after they return, from another thread; every way of
// not answering properly still gets one answer.
TEST_CASE("Async handlers answer from another thread, a throw or a dropped responder is a 500") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  std::mutex mu;
  std::vector<std::thread> answerers;
  server.HandleAsync("/later", [&](const HttpRequest& req, HttpResponder respond) {
    std::lock_guard<std::mutex> l(mu);
    // The request outlives the handler's return until the answer.
    answerers.emplace_back([&req, respond] {
      std::this_thread::sleep_for(50ms);
      HttpResponse resp;
      resp.SetText("later " + std::string(req.Param("x")), 202);
      respond(resp);
      resp.SetText("second answer", 500);
      respond(resp);  // ignored
    });
  });
  server.HandlePrefixAsync("/throw/", [](const HttpRequest&, HttpResponder) { throw std::runtime_error("boom"); });
  server.HandleAsync("/drop", [](const HttpRequest&, HttpResponder respond) { (void)respond; });
  REQUIRE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Get("/later?x=7");
  REQUIRE(r.ok());
  CHECK(r->status == 202);
  CHECK(r->body == "later 7");
  r = client.Get("/later?x=8");  // the same keep-alive connection goes on
  REQUIRE(r.ok());
  CHECK(r->body == "later 8");

  r = client.Get("/throw/x");
  REQUIRE(r.ok());
  CHECK(r->status == 500);
  CHECK(r->body == "internal error: boom\n");

  r = client.Get("/drop");
  REQUIRE(r.ok());
  CHECK(r->status == 500);
  CHECK(r->body == "internal error: the handler never answered\n");
  server.Shutdown(absl::Seconds(5));
  for (auto& t : answerers) t.join();
}

TEST_CASE("Shutdown waits until every async handler has answered, even past its deadline") {
  strata::MetricsRegistry reg;
  HttpServer server(TestOptions(&reg));
  std::promise<void> started;
  std::thread answerer;
  std::atomic<bool> answered{false};
  server.HandleAsync("/slow", [&](const HttpRequest&, HttpResponder respond) {
    answerer = std::thread([&, respond] {
      std::this_thread::sleep_for(2500ms);  // past Shutdown's 2 s wait for sessions, too
      HttpResponse resp;
      resp.SetText("finished");
      answered = true;
      respond(resp);
    });
    started.set_value();
  });
  REQUIRE(server.Start().ok());
  const int port = server.port();
  auto inflight = std::async(std::launch::async, [port] {
    HttpClient c("127.0.0.1", port);
    return c.Get("/slow");
  });
  started.get_future().wait();
  // The deadline passes long before the answer: the connection is closed, but the
  // responder still uses the server, so Shutdown must wait for it.
  server.Shutdown(absl::Milliseconds(20));
  CHECK(answered);
  auto r = inflight.get();
  CHECK_FALSE(r.ok());  // closed without an answer
  answerer.join();
}

TEST_CASE("Start fails clearly when the port is taken or the address is bad") {
  strata::MetricsRegistry reg;
  HttpServer first(TestOptions(&reg));
  REQUIRE(first.Start().ok());
  auto opts = TestOptions(&reg);
  opts.listen = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(opts);
  auto st = second.Start();
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(st.message()).find(opts.listen) != std::string::npos);

  opts.listen = "no-port";
  HttpServer third(opts);
  CHECK(third.Start().code() == absl::StatusCode::kInvalidArgument);

  // ":0" binds all interfaces.
  opts.listen = ":0";
  HttpServer any(opts);
  REQUIRE(any.Start().ok());
  auto r = HttpGet("http://127.0.0.1:" + std::to_string(any.port()) + "/health");
  REQUIRE(r.ok());
  CHECK(r->body == "OK");
}
