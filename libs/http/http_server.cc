#include "libs/http/http_server.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/common/absl_compat.h"
#include "libs/common/process_metrics.h"
#include "libs/common/thread_pool.h"
#include "libs/http/gzip.h"
#include "libs/http/url.h"
#include "spdlog/spdlog.h"

namespace strata::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  // Clamp so "infinite" timeouts do not overflow the steady clock.
  return absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365)));
}

constexpr std::string_view kUnmatchedRoute = "unmatched";

// Splits "host:port" / ":port" / "[v6]:port". An empty host means all interfaces.
absl::Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", listen, "\" has no port (want host:port or :port)"));
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  uint32_t p = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &p) || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("listen address \"", listen, "\" has a bad port"));
  }
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

// Compresses `resp` in place when the client accepts gzip and it is worth it. Runs on
// handler threads: compressing a large body must not stall the I/O thread.
void MaybeGzip(HttpResponse& resp, bool accept_gzip) {
  if (!accept_gzip || resp.body.size() < kGzipMinBytes || !resp.Header("Content-Encoding").empty()) {
    return;
  }
  // Level 1: most of the size win for a fraction of the CPU of the default level.
  if (auto gz = GzipCompress(resp.body, 1); gz.ok()) {
    resp.body = *std::move(gz);
    resp.SetHeader("Content-Encoding", "gzip");
    resp.headers.emplace_back("Vary", "Accept-Encoding");
  }
}

std::string EndpointString(const tcp::endpoint& ep) {
  auto addr = ep.address();
  if (addr.is_v6()) return absl::StrCat("[", addr.to_string(), "]:", ep.port());
  return absl::StrCat(addr.to_string(), ":", ep.port());
}

}  // namespace

class Session;

// The server's state, shared by the accept loop and every Session. HttpServer::Impl
// is this under the name the public header forward-declares.
class ServerImpl {
 public:
  explicit ServerImpl(HttpServerOptions options) : options_(std::move(options)) {
    registry_ = options_.registry != nullptr ? options_.registry : &DefaultRegistry();
    if (options_.threads <= 0) {
      options_.threads = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
    }
    options_.io_threads = std::max(1, options_.io_threads);
    RegisterProcessMetrics(*registry_);
    requests_ = &registry_->AddCounterFamily("http_requests_total",
                                             "HTTP requests answered, by route and status code.",
                                             {"path", "code"});
    duration_ = &registry_->AddHistogramFamily(
        "http_request_duration_seconds",
        "Time from a request's headers being read to its response being ready, by route.", {"path"},
        LatencyBuckets());
    in_flight_ = &registry_->AddGauge("http_requests_in_flight", "HTTP requests being handled.");
    router_.Handle("/metrics", [this](const HttpRequest&, HttpResponse& resp) {
      resp.content_type = std::string(kMetricsContentType);
      resp.body = registry_->Render();
    });
    // Placeholders: /health and /ready are answered inline (see Session::OnRequest);
    // these entries only make the router report a match.
    router_.Handle("/health", [](const HttpRequest&, HttpResponse&) {});
    router_.Handle("/ready", [](const HttpRequest&, HttpResponse&) {});
  }

  ~ServerImpl() { Shutdown(absl::Seconds(5)); }

  // Route registration (HttpServer's four calls); false, with an error log, after Start().
  bool CanRegister(std::string_view pattern) {
    if (started_) {
      spdlog::error("HttpServer: route \"{}\" registered after Start() ignored", pattern);
      return false;
    }
    if (pattern == "/health") health_overridden_ = true;
    if (pattern == "/ready") ready_overridden_ = true;
    return true;
  }
  HttpRouter& router_for_registration() { return router_; }

  // Async handlers not yet answered (Shutdown waits for them).
  void AsyncStarted() {
    absl::MutexLock lock(&mu_);
    ++async_pending_;
  }
  void AsyncAnswered() {
    absl::MutexLock lock(&mu_);
    --async_pending_;
  }

  void SetReadinessCheck(std::function<bool()> check) {
    absl::MutexLock lock(&mu_);
    readiness_ = std::make_shared<std::function<bool()>>(std::move(check));
  }

  bool Ready() {
    std::shared_ptr<std::function<bool()>> check;
    {
      absl::MutexLock lock(&mu_);
      check = readiness_;
    }
    return check == nullptr || !*check || (*check)();
  }

  absl::Status Start();
  void Shutdown(absl::Duration deadline);
  int port() const { return port_; }

  // Session bookkeeping.
  void Register(Session* s, std::weak_ptr<Session> w) {
    absl::MutexLock lock(&mu_);
    sessions_[s] = std::move(w);
  }
  void Unregister(Session* s) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(s);
  }

  const HttpServerOptions& options() const { return options_; }
  const HttpRouter& router() const { return router_; }
  bool stopping() const { return stopping_.load(); }
  bool health_overridden() const { return health_overridden_; }
  bool ready_overridden() const { return ready_overridden_; }
  ThreadPool& pool() { return *pool_; }

  void Record(const std::string& route, int code, double seconds) {
    requests_->WithLabels({route, std::to_string(code)}).Inc();
    duration_->WithLabels({route}).Observe(seconds);
  }
  Gauge& in_flight() { return *in_flight_; }

 private:
  void DoAccept();

  HttpServerOptions options_;
  MetricsRegistry* registry_;
  CounterFamily* requests_;
  HistogramFamily* duration_;
  Gauge* in_flight_;
  HttpRouter router_;
  bool health_overridden_ = false;
  bool ready_overridden_ = false;
  int port_ = 0;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;  // guarded by shutdown_mu_
  int async_pending_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex shutdown_mu_;

  absl::Mutex mu_;
  std::shared_ptr<std::function<bool()>> readiness_ ABSL_GUARDED_BY(mu_);
  std::map<Session*, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::thread> io_threads_;
  // Declared after the bookkeeping above so it is destroyed before it: pending
  // handlers own sessions, whose destructors unregister from sessions_.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
};

// One TCP connection: reads requests one at a time, hands each to the handler pool
// and writes the response. All members are touched only on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl* server, tcp::socket socket, std::string remote)
      : server_(server), stream_(std::move(socket)), remote_(std::move(remote)) {}
  ~Session() { server_->Unregister(this); }

  void Start() {
    server_->Register(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
  }

  // Shutdown: close the connection if it is waiting for a request.
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kIdle) self->Close();
    });
  }
  // Shutdown deadline passed: close whatever the state.
  void ForceClose() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };

  void ReadRequest() {
    if (state_ == State::kClosed) return;
    if (server_->stopping()) return Close();
    state_ = State::kIdle;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    parser_->body_limit(server_->options().max_body_bytes);
    stream_.expires_after(ToChrono(server_->options().idle_timeout));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) return OnReadError(ec);
    state_ = State::kReading;
    start_ = absl::Now();
    auto& req = parser_->get();
    if (absl::EqualsIgnoreCase(StdSvA(req[bhttp::field::expect]), "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                      req.version());
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnRequest();
    // Read the body in large pieces: the buffer left by the header holds ~1 KiB,
    // and a remote_write body came in 7 reads of that size.
    if (buffer_.capacity() < kBodyReadBytes) {
      const uint64_t want = parser_->content_length().value_or(kBodyReadBytes) + buffer_.size();
      buffer_.reserve(static_cast<size_t>(std::min<uint64_t>(want, kBodyReadBytes)));
    }
    stream_.expires_after(ToChrono(server_->options().idle_timeout));
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->state_ == State::kClosed) return;
      if (ec) return self->OnReadError(ec);
      self->OnRequest();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return SendErrorAndClose(
          413, absl::StrCat("request body exceeds the limit of ", server_->options().max_body_bytes,
                            " bytes\n"));
    }
    if (ec == bhttp::error::header_limit) {
      return SendErrorAndClose(431, absl::StrCat("request headers exceed the limit of ",
                                                 server_->options().max_header_bytes, " bytes\n"));
    }
    // Malformed requests get a 400; a peer that went away or timed out is just closed.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return SendErrorAndClose(400, absl::StrCat("malformed HTTP request: ", ec.message(), "\n"));
    }
    Close();
  }

  static absl::string_view StdSvA(beast::string_view s) { return absl::string_view(s.data(), s.size()); }

  void OnRequest() {
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == bhttp::verb::head;
    accept_gzip_ = AcceptsGzip(Str(msg[bhttp::field::accept_encoding]));

    auto req = std::make_shared<HttpRequest>();
    req->method = Str(msg.method_string());
    req->target = Str(msg.target());
    req->remote = remote_;
    size_t q = req->target.find('?');
    std::string_view raw_path = std::string_view(req->target).substr(0, q);
    if (q != std::string::npos) req->raw_query = req->target.substr(q + 1);
    for (const auto& field : msg) {
      req->headers.emplace_back(absl::AsciiStrToLower(StdSvA(field.name_string())), Str(field.value()));
    }
    req->body = std::move(msg.body());

    auto path = UrlDecode(raw_path, false);
    if (!path.ok()) return Respond(kUnmatchedRoute, ErrorResponse(400, path.status()));
    req->path = *std::move(path);
    const HttpRouter::Route* route = server_->router().Match(req->path, &req->path_remainder);
    if (route == nullptr) {
      HttpResponse resp;
      resp.SetText(absl::StrCat("404 page not found: ", req->path, "\n"), 404);
      return Respond(kUnmatchedRoute, std::move(resp));
    }
    req->route = route->pattern;
    if (absl::StartsWithIgnoreCase(Sv(req->Header("content-type")), "application/x-www-form-urlencoded")) {
      if (auto st = ParseQueryString(req->body, &req->params); !st.ok()) {
        return Respond(req->route, ErrorResponse(400, st));
      }
    }
    if (auto st = ParseQueryString(req->raw_query, &req->params); !st.ok()) {
      return Respond(req->route, ErrorResponse(400, st));
    }

    // Probes are answered here so they work while every handler thread is busy.
    if ((req->path == "/health" && !server_->health_overridden()) ||
        (req->path == "/ready" && !server_->ready_overridden())) {
      HttpResponse resp;
      if (req->path == "/ready" && !server_->Ready()) {
        resp.SetText("not ready\n", 503);
      } else {
        resp.SetText("OK");
      }
      return Respond(req->route, std::move(resp));
    }

    state_ = State::kHandling;
    server_->in_flight().Inc();
    if (route->async_handler) {
      server_->AsyncStarted();
      server_->pool().Submit([self = shared_from_this(), req, handler = &route->async_handler,
                              gzip = accept_gzip_] {
        auto pending = std::make_shared<PendingAnswer>(self, req, gzip);
        try {
          (*handler)(*req, [pending](HttpResponse resp) { pending->Answer(std::move(resp)); });
        } catch (...) {
          pending->Answer(InternalError(std::current_exception()));
        }
      });
      return;
    }
    server_->pool().Submit([self = shared_from_this(), req, handler = &route->handler,
                            gzip = accept_gzip_] {
      HttpResponse resp;
      try {
        (*handler)(*req, resp);
      } catch (...) {
        resp = InternalError(std::current_exception());
      }
      self->Deliver(req->route, std::move(resp), gzip);
    });
  }

  // A handler's answer, from whatever thread: to the connection's strand.
  void Deliver(const std::string& route, HttpResponse resp, bool gzip) {
    server_->in_flight().Dec();
    MaybeGzip(resp, gzip);
    asio::post(stream_.get_executor(), [self = shared_from_this(), route, resp = std::move(resp)]() mutable {
      self->Respond(route, std::move(resp));
    });
  }

  // The state shared by an async handler's responder copies: the first answer is
  // delivered; none at all (every copy dropped) is a 500.
  class PendingAnswer {
   public:
    PendingAnswer(std::shared_ptr<Session> session, std::shared_ptr<HttpRequest> req, bool gzip)
        : session_(std::move(session)), req_(std::move(req)), gzip_(gzip) {}
    ~PendingAnswer() {
      HttpResponse resp;
      resp.SetText("internal error: the handler never answered\n", 500);
      Answer(std::move(resp));
    }
    void Answer(HttpResponse resp) {
      if (answered_.exchange(true)) return;
      std::shared_ptr<Session> session = std::move(session_);
      ServerImpl* server = session->server_;
      session->Deliver(req_->route, std::move(resp), gzip_);
      // Our reference goes first: once the count is down, Shutdown() may return
      // and the server go away, and ~Session uses it.
      session.reset();
      server->AsyncAnswered();
    }

   private:
    std::shared_ptr<Session> session_;
    std::shared_ptr<HttpRequest> req_;  // what the handler reads until it answers
    bool gzip_;
    std::atomic<bool> answered_{false};
  };

  static HttpResponse InternalError(std::exception_ptr e) {
    HttpResponse resp;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      resp.SetText(absl::StrCat("internal error: ", ex.what(), "\n"), 500);
    } catch (...) {
      resp.SetText("internal error\n", 500);
    }
    return resp;
  }

  static HttpResponse ErrorResponse(int code, const absl::Status& st) {
    HttpResponse resp;
    resp.SetText(absl::StrCat(std::string(st.message()), "\n"), code);
    return resp;
  }

  void Respond(std::string_view route, HttpResponse resp) {
    if (state_ == State::kClosed) return;
    server_->Record(std::string(route), resp.status, absl::ToDoubleSeconds(absl::Now() - start_));
    bool keep_alive = keep_alive_ && !server_->stopping();
    auto res = BuildResponse(std::move(resp), keep_alive);
    state_ = State::kWriting;
    stream_.expires_after(ToChrono(server_->options().idle_timeout));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->Close();
      self->ReadRequest();
    });
  }

  std::shared_ptr<bhttp::response<bhttp::string_body>> BuildResponse(HttpResponse resp, bool keep_alive) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(resp.status));
    res->set(bhttp::field::server, "strata");
    res->set(bhttp::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res->insert(name, value);
    size_t length = resp.body.size();
    res->body() = std::move(resp.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    if (head_) {
      res->body().clear();
      res->content_length(length);
    }
    return res;
  }

  // For errors found while reading: the request cannot be resumed, so answer, then
  // stop sending and drain what the client still sends (closing a socket with unread
  // data makes the kernel send a reset, which can destroy the response in flight).
  void SendErrorAndClose(int code, std::string message) {
    HttpResponse resp;
    resp.SetText(std::move(message), code);
    server_->Record(std::string(kUnmatchedRoute), code, 0);
    if (version_ == 0) version_ = 11;
    auto res = BuildResponse(std::move(resp), false);
    state_ = State::kWriting;
    stream_.expires_after(ToChrono(server_->options().idle_timeout));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->state_ = State::kIdle;  // shutdown may close it at once
      self->stream_.expires_after(std::chrono::seconds(2));
      self->Drain();
    });
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_buf_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  ServerImpl* server_;
  beast::tcp_stream stream_;
  std::string remote_;
  // What the read buffer grows to for a request body (it keeps that capacity while
  // the connection lives).
  static constexpr size_t kBodyReadBytes = 64 << 10;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  State state_ = State::kIdle;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool accept_gzip_ = false;
  absl::Time start_;
  char drain_buf_[16 * 1024];
};

absl::Status ServerImpl::Start() {
  if (started_) return absl::FailedPreconditionError("HttpServer::Start called twice");
  std::string host;
  uint16_t port = 0;
  if (auto st = ParseListen(options_.listen, &host, &port); !st.ok()) return st;

  beast::error_code ec;
  asio::ip::address addr;
  if (host.empty()) {
    addr = asio::ip::address_v4::any();
  } else {
    addr = asio::ip::make_address(host, ec);
    if (ec) {
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec || results.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("cannot resolve listen host \"", host, "\" in \"",
                                                       options_.listen, "\": ", ec.message()));
      }
      addr = results.begin()->endpoint().address();
    }
  }
  tcp::endpoint endpoint(addr, port);
  // The acceptor lives on a strand so Shutdown's close cannot race the accept handler.
  acceptor_.emplace(asio::make_strand(ioc_));
  auto fail = [&](const char* what) {
    acceptor_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, " (", what, "): ", ec.message()));
  };
  acceptor_->open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor_->bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  port_ = acceptor_->local_endpoint().port();
  started_ = true;

  pool_ = std::make_unique<ThreadPool>(options_.threads);
  work_.emplace(ioc_.get_executor());
  DoAccept();
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  spdlog::info("HTTP server listening on {} (port {})", options_.listen, port_);
  return absl::OkStatus();
}

void ServerImpl::DoAccept() {
  acceptor_->async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping_ || !acceptor_->is_open()) return;
    if (ec) {
      // Typically EMFILE: log and keep accepting (the backlog waits).
      spdlog::warn("HTTP accept on {} failed: {}", options_.listen, ec.message());
    } else {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto remote = socket.remote_endpoint(ignored);
      auto session = std::make_shared<Session>(this, std::move(socket), EndpointString(remote));
      session->Start();
    }
    DoAccept();
  });
}

void ServerImpl::Shutdown(absl::Duration deadline) {
  absl::MutexLock shutdown_lock(&shutdown_mu_);
  if (shut_down_ || !started_) {
    shut_down_ = true;
    return;
  }
  shut_down_ = true;
  const absl::Time until = absl::Now() + deadline;
  stopping_ = true;
  asio::post(acceptor_->get_executor(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });

  auto live_sessions = [this] {
    std::vector<std::shared_ptr<Session>> out;
    absl::MutexLock lock(&mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  };
  for (auto& s : live_sessions()) s->CloseIfIdle();

  // Wait for in-flight requests to be answered (each session closes itself after
  // writing its response because stopping_ is set).
  {
    absl::MutexLock lock(&mu_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
    mu_.AwaitWithDeadline(absl::Condition(&drained), until);
  }
  for (auto& s : live_sessions()) s->ForceClose();

  // Handlers still running are waited for, and async ones until they answer (their
  // responders use this server); their responses go nowhere.
  pool_->Join();
  {
    absl::MutexLock lock(&mu_);
    auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return async_pending_ == 0; };
    mu_.Await(absl::Condition(&answered));
  }
  work_.reset();
  {
    // Everything is closed; pending operations complete with errors promptly.
    absl::MutexLock lock(&mu_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Seconds(2));
  }
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  spdlog::info("HTTP server on {} stopped", options_.listen);
}

class HttpServer::Impl : public ServerImpl {
 public:
  using ServerImpl::ServerImpl;
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Handle(std::string path, HttpHandler handler) {
  if (impl_->CanRegister(path)) impl_->router_for_registration().Handle(std::move(path), std::move(handler));
}

void HttpServer::HandlePrefix(std::string prefix, HttpHandler handler) {
  if (impl_->CanRegister(prefix)) {
    impl_->router_for_registration().HandlePrefix(std::move(prefix), std::move(handler));
  }
}

void HttpServer::HandleAsync(std::string path, HttpAsyncHandler handler) {
  if (impl_->CanRegister(path)) impl_->router_for_registration().HandleAsync(std::move(path), std::move(handler));
}

void HttpServer::HandlePrefixAsync(std::string prefix, HttpAsyncHandler handler) {
  if (impl_->CanRegister(prefix)) {
    impl_->router_for_registration().HandlePrefixAsync(std::move(prefix), std::move(handler));
  }
}

void HttpServer::SetReadinessCheck(std::function<bool()> check) {
  impl_->SetReadinessCheck(std::move(check));
}

absl::Status HttpServer::Start() { return impl_->Start(); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown(absl::Duration deadline) { impl_->Shutdown(deadline); }

}  // namespace strata::http
