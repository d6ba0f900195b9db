// Server behaviour seen from a raw socket: framing our HttpClient never produces.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "libs/http/http_client.h"
#include "libs/http/http_server.h"

using namespace strata::http;

namespace {

// Sends `bytes` on a fresh connection, then reads until the server closes (or 5 s).
std::string RawExchange(int port, const std::string& bytes, bool half_close = false) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may stop reading early (413)
    sent += static_cast<size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int CountOf(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  return n;
}

struct Fixture {
  strata::MetricsRegistry reg;
  std::unique_ptr<HttpServer> server;
  Fixture() {
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.registry = &reg;
    o.max_body_bytes = 100;
    o.max_header_bytes = 2048;
    server = std::make_unique<HttpServer>(o);
    server->Handle("/echo", [](const HttpRequest& req, HttpResponse& resp) {
      resp.SetText("body=" + req.body + ";q=" + std::string(req.Param("q")));
    });
    server->Handle("/err", [](const HttpRequest&, HttpResponse& resp) {
      resp.SetError(absl::ResourceExhaustedError("too many samples"));
    });
    REQUIRE(server->Start().ok());
  }
};

}  // namespace

TEST_CASE("Pipelined requests are answered in order on one connection") {
  Fixture f;
  std::string out = RawExchange(f.server->port(),
                                "GET /echo?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "POST /echo?q=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                                "GET /echo?q=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t a = out.find("body=;q=1"), b = out.find("body=abc;q=2"), c = out.find("body=;q=3");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  REQUIRE(c != std::string::npos);
  CHECK(a < b);
  CHECK(b < c);
  CHECK(CountOf(out, "HTTP/1.1 200") == 3);
}

TEST_CASE("HTTP/1.0 closes after one response unless keep-alive is asked for") {
  Fixture f;
  std::string out = RawExchange(f.server->port(), "GET /echo?q=x HTTP/1.0\r\n\r\nGET /echo HTTP/1.0\r\n\r\n");
  CHECK(out.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(CountOf(out, "HTTP/1.0 200") == 1);
  out = RawExchange(f.server->port(),
                    "GET /echo?q=x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /echo?q=y HTTP/1.0\r\n\r\n");
  CHECK(CountOf(out, "HTTP/1.0 200") == 2);
}

TEST_CASE("Chunked bodies over the limit get 413, malformed requests get 400") {
  Fixture f;
  std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "20\r\n" + std::string(32, 'z') + "\r\n";
  chunked += "0\r\n\r\n";
  std::string out = RawExchange(f.server->port(), chunked);
  CHECK(out.rfind("HTTP/1.1 413 ", 0) == 0);
  CHECK(out.find("request body exceeds the limit of 100 bytes") != std::string::npos);

  std::string small = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  CHECK(RawExchange(f.server->port(), small).find("body=abcde;") != std::string::npos);

  out = RawExchange(f.server->port(), "GARBAGE\r\n\r\n", true);
  CHECK(out.rfind("HTTP/1.1 400 ", 0) == 0);
  out = RawExchange(f.server->port(), "GET /echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n", true);
  CHECK(out.rfind("HTTP/1.1 400 ", 0) == 0);
}

TEST_CASE("Oversized headers get 431, a large body without Expect still gets 413") {
  Fixture f;
  std::string out = RawExchange(f.server->port(),
                                "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 431 ", 0) == 0);

  HttpClient client("127.0.0.1", f.server->port());
  auto r = client.Post("/echo", std::string(2 << 20, 'b'), "application/octet-stream");
  REQUIRE(r.ok());
  CHECK(r->status == 413);
  // The client reconnects for the next request.
  r = client.Get("/echo?q=after");
  REQUIRE(r.ok());
  CHECK(r->body == "body=;q=after");
}

TEST_CASE("HEAD gets headers only, SetError maps status codes") {
  Fixture f;
  HttpClient client("127.0.0.1", f.server->port());
  auto r = client.Do("HEAD", "/echo?q=abc", "", {});
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  CHECK(r->Header("Content-Length") == "11");  // "body=;q=abc"
  r = client.Get("/err");
  REQUIRE(r.ok());
  CHECK(r->status == 429);
  CHECK(r->body == "too many samples\n");
}

TEST_CASE("Random garbage on the socket never takes the server down") {
  Fixture f;
  std::mt19937 rng(777);
  const std::vector<std::string> pieces = {"GET ", "POST ", "/echo", "?q=%zz", "?q=1", " HTTP/1.1\r\n",
                                           "Host: x\r\n", "Content-Length: 5\r\n",
                                           "Content-Length: -1\r\n", "Transfer-Encoding: chunked\r\n",
                                           "\r\n", "zz\r\n", "abcde", "\x00\xff", " ", ":"};
  for (int i = 0; i < 60; ++i) {
    std::string msg;
    int n = 1 + static_cast<int>(rng() % 10);
    for (int j = 0; j < n; ++j) msg += pieces[rng() % pieces.size()];
    std::string out = RawExchange(f.server->port(), msg, true);
    // Either nothing (incomplete request) or well-formed HTTP responses.
    if (!out.empty()) CHECK(out.rfind("HTTP/1.", 0) == 0);
  }
  HttpClient client("127.0.0.1", f.server->port());
  auto r = client.Get("/echo?q=alive");
  REQUIRE(r.ok());
  CHECK(r->body == "body=;q=alive");
}
