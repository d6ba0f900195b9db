#include "libs/http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/absl_compat.h"

namespace strata::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace

std::string_view HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(Sv(k), Sv(name))) return v;
  }
  return {};
}

// Every operation is asynchronous with the stream's timeout and driven to completion
// by running the private io_context, which gives blocking calls a deadline.
class HttpClient::Impl {
 public:
  Impl(std::string host, int port, absl::Duration timeout)
      : host_(std::move(host)), port_(port), timeout_(timeout) {}

  absl::StatusOr<HttpClientResponse> Do(std::string_view method, std::string_view target,
                                        std::string body, const HeaderList& headers) {
    bhttp::request<bhttp::string_body> req;
    req.version(11);
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    bool has_host = false;
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, "host")) has_host = true;
      req.insert(k, v);
    }
    if (!has_host) req.set(bhttp::field::host, absl::StrCat(host_, ":", port_));
    if (req[bhttp::field::user_agent].empty()) req.set(bhttp::field::user_agent, "strata-http-client");
    req.body() = std::move(body);
    req.prepare_payload();
    const bool head = absl::EqualsIgnoreCase(Sv(method), "HEAD");

    for (int attempt = 0;; ++attempt) {
      const bool reused = stream_.has_value();
      if (!reused) {
        if (auto st = Connect(); !st.ok()) return st;
      }
      bool got_bytes = false;
      auto resp = RoundTrip(req, head, &got_bytes);
      if (resp.ok() || !reused || got_bytes || attempt > 0) {
        if (!resp.ok()) CloseStream();
        return resp;
      }
      // The server closed an idle keep-alive connection: reconnect once.
      CloseStream();
    }
  }

  void CloseStream() {
    if (stream_) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_->close();
    }
    stream_.reset();
    buffer_.clear();
  }

  bool connected() const { return stream_.has_value(); }

  std::string local_address() const {
    if (!stream_) return "";
    beast::error_code ec;
    auto ep = stream_->socket().local_endpoint(ec);
    if (ec) return "";
    return absl::StrCat(ep.address().to_string(), ":", ep.port());
  }

 private:
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  std::chrono::nanoseconds Timeout() const {
    return absl::ToChronoNanoseconds(std::min(timeout_, absl::Hours(24 * 365)));
  }

  absl::Status Connect() {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto results = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("resolve ", host_, ": ", ec.message()));
    stream_.emplace(ioc_);
    stream_->expires_after(Timeout());
    ec = Run([&](auto handler) {
      stream_->async_connect(results, [handler](beast::error_code ec, const tcp::endpoint&) mutable {
        handler(ec);
      });
    });
    if (ec) {
      stream_.reset();
      return Failure("connect to", ec);
    }
    beast::error_code ignored;
    stream_->socket().set_option(tcp::no_delay(true), ignored);
    return absl::OkStatus();
  }

  absl::Status Failure(const char* what, beast::error_code ec) const {
    std::string msg = absl::StrCat(what, " ", host_, ":", port_, ": ", ec.message());
    if (ec == beast::error::timeout) return absl::DeadlineExceededError(msg);
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return absl::DataLossError(msg);
    }
    return absl::UnavailableError(msg);
  }

  absl::StatusOr<HttpClientResponse> RoundTrip(bhttp::request<bhttp::string_body>& req, bool head,
                                               bool* got_bytes) {
    stream_->expires_after(Timeout());
    auto ec = Run([&](auto handler) { bhttp::async_write(*stream_, req, handler); });
    if (ec) return Failure("send to", ec);

    // Interim 1xx answers (100 Continue) precede the real one: skip them.
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    for (;;) {
      parser.emplace();
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      parser->header_limit(1 << 20);
      if (head) parser->skip(true);
      stream_->expires_after(Timeout());
      ec = Run([&](auto handler) { bhttp::async_read_header(*stream_, buffer_, *parser, handler); });
      *got_bytes = *got_bytes || parser->got_some() || buffer_.size() > 0;
      if (ec) return Failure("read from", ec);
      unsigned code = parser->get().result_int();
      if (code >= 200 || code == 101) break;
    }
    if (!parser->is_done()) {
      ec = Run([&](auto handler) { bhttp::async_read(*stream_, buffer_, *parser, handler); });
      if (ec) return Failure("read from", ec);
    }

    auto msg = parser->release();
    HttpClientResponse out;
    out.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) out.headers.emplace_back(Str(f.name_string()), Str(f.value()));
    out.body = std::move(msg.body());
    if (!msg.keep_alive()) CloseStream();
    return out;
  }

  std::string host_;
  int port_;
  absl::Duration timeout_;
  asio::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

HttpClient::HttpClient(std::string host, int port, absl::Duration timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpClientResponse> HttpClient::Get(std::string_view target, const HeaderList& headers) {
  return impl_->Do("GET", target, "", headers);
}

absl::StatusOr<HttpClientResponse> HttpClient::Post(std::string_view target, std::string body,
                                                    std::string_view content_type,
                                                    const HeaderList& headers) {
  HeaderList h = headers;
  h.emplace_back("Content-Type", std::string(content_type));
  return impl_->Do("POST", target, std::move(body), h);
}

absl::StatusOr<HttpClientResponse> HttpClient::PostForm(std::string_view target, const ParamList& params,
                                                        const HeaderList& headers) {
  return Post(target, EncodeQueryString(params), "application/x-www-form-urlencoded", headers);
}

absl::StatusOr<HttpClientResponse> HttpClient::Do(std::string_view method, std::string_view target,
                                                  std::string body, const HeaderList& headers) {
  return impl_->Do(method, target, std::move(body), headers);
}

void HttpClient::Close() { impl_->CloseStream(); }

bool HttpClient::connected() const { return impl_->connected(); }

std::string HttpClient::local_address() const { return impl_->local_address(); }

namespace {

struct ParsedUrl {
  std::string host;
  int port = 80;
  std::string target;
};

absl::StatusOr<ParsedUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(absl::StrCat("want an http:// URL, got \"", Sv(url), "\""));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  ParsedUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']', colon) != std::string_view::npos) {
    colon = std::string_view::npos;  // "[::1]" without a port
  }
  out.host = std::string(hostport.substr(0, colon));
  if (colon != std::string_view::npos && !absl::SimpleAtoi(Sv(hostport.substr(colon + 1)), &out.port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in URL \"", Sv(url), "\""));
  }
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in URL \"", Sv(url), "\""));
  return out;
}

}  // namespace

absl::StatusOr<HttpClientResponse> HttpGet(std::string_view url, absl::Duration timeout) {
  auto u = ParseHttpUrl(url);
  if (!u.ok()) return u.status();
  HttpClient client(u->host, u->port, timeout);
  return client.Get(u->target);
}

absl::StatusOr<HttpClientResponse> HttpPost(std::string_view url, std::string body,
                                            std::string_view content_type, absl::Duration timeout) {
  auto u = ParseHttpUrl(url);
  if (!u.ok()) return u.status();
  HttpClient client(u->host, u->port, timeout);
  return client.Post(u->target, std::move(body), content_type);
}

absl::Status WaitForHttpOk(std::string_view host, int port, std::string_view path,
                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no attempt";
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    HttpClient client(std::string(host), port, std::clamp(left, absl::Milliseconds(100), absl::Seconds(5)));
    auto r = client.Get(path);
    if (r.ok() && r->status == 200) return absl::OkStatus();
    last = r.ok() ? absl::StrCat("status ", r->status) : std::string(r.status().message());
    if (absl::Now() + absl::Milliseconds(50) >= deadline) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("GET ", Sv(host), ":", port, Sv(path), " did not answer 200 within ",
                                                  absl::FormatDuration(timeout), " (last: ", last, ")"));
}

}  // namespace strata::http
