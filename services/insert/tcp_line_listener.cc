#include "services/insert/tcp_line_listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/ingest/graphite.h"
#include "libs/ingest/influx.h"
#include "libs/ingest/opentsdb.h"
#include "spdlog/spdlog.h"

namespace strata {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kReadBytes = 64 << 10;
// How often a connection thread wakes to check the flush deadline and shutdown.
constexpr int kPollMs = 100;

}  // namespace

LineParser GraphiteLineParser() {
  return [](std::string_view lines, int64_t now_ms, ingest::RowSink& sink, ingest::ParseResult* r) {
    ingest::GraphiteOptions o;
    o.now_ms = now_ms;
    return ingest::ParseGraphite(lines, o, sink, r);
  };
}

LineParser OpenTsdbTelnetLineParser() {
  return [](std::string_view lines, int64_t now_ms, ingest::RowSink& sink, ingest::ParseResult* r) {
    ingest::OpenTsdbOptions o;
    o.now_ms = now_ms;
    return ingest::ParseOpenTsdbTelnet(lines, o, sink, r);
  };
}

LineParser InfluxLineParser() {
  return [](std::string_view lines, int64_t now_ms, ingest::RowSink& sink, ingest::ParseResult* r) {
    ingest::InfluxOptions o;
    o.now_ms = now_ms;
    return ingest::ParseInflux(lines, o, sink, r);
  };
}

TcpLineListener::TcpLineListener(TcpLineListenerOptions opts, LineParser parser, ReplicatingWriter* writer,
                                 const IngestLimits& limits, MetricsRegistry* registry)
    : opts_(std::move(opts)),
      parser_(std::move(parser)),
      writer_(writer),
      limits_(limits),
      rows_rejected_(registry->AddCounterFamily("strata_insert_rows_rejected_total",
                                                "Rows or lines rejected, by reason.", {"reason"})),
      rows_ingested_(registry
                         ->AddCounterFamily("strata_insert_rows_ingested_total",
                                            "Rows (series x request) stored, by protocol.", {"protocol"})
                         .WithLabels({opts_.protocol + "_tcp"})),
      samples_ingested_(registry
                            ->AddCounterFamily("strata_insert_samples_ingested_total",
                                               "Samples stored on enough replicas, by protocol.", {"protocol"})
                            .WithLabels({opts_.protocol + "_tcp"})),
      rows_dropped_(registry
                        ->AddCounterFamily("strata_insert_tcp_rows_dropped_total",
                                           "Rows received over TCP that could not be stored (no client to retry).",
                                           {"protocol"})
                        .WithLabels({opts_.protocol})),
      connections_refused_(registry
                               ->AddCounterFamily("strata_insert_tcp_connections_refused_total",
                                                  "TCP connections closed at once: --max connections reached.",
                                                  {"protocol"})
                               .WithLabels({opts_.protocol})),
      open_connections_(registry
                            ->AddGaugeFamily("strata_insert_tcp_connections", "Open TCP ingest connections.",
                                             {"protocol"})
                            .WithLabels({opts_.protocol})) {}

TcpLineListener::~TcpLineListener() { Shutdown(); }

absl::Status TcpLineListener::Start() {
  size_t colon = opts_.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(opts_.listen.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(opts_.protocol, " listen address \"", opts_.listen, "\": want host:port or :port"));
  }
  std::string host = opts_.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port_str = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", opts_.protocol, " listen host \"", host, "\": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_error = strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  if (listen_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", opts_.listen, " for ", opts_.protocol, ": ",
                                               last_error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("{} TCP listener on {} (port {})", opts_.protocol, opts_.listen, port_);
  return absl::OkStatus();
}

void TcpLineListener::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    int rc = poll(&p, 1, kPollMs);
    ReapFinished();
    if (rc <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        spdlog::warn("{} accept: {}", opts_.protocol, strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      }
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    if (connections_.size() >= opts_.max_connections) {
      connections_refused_.Inc();
      close(fd);
      continue;
    }
    Connection& conn = connections_.emplace_back();
    conn.fd = fd;
    open_connections_.Set(double(connections_.size()));
    conn.thread = std::thread([this, c = &conn] { Serve(c); });
  }
}

void TcpLineListener::ReapFinished() {
  std::list<Connection> finished;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), connections_, it);
      it = next;
    }
    open_connections_.Set(double(connections_.size()));
  }
  for (Connection& c : finished) c.thread.join();
}

void TcpLineListener::ParseChunk(std::string_view lines, RowCollector* collector) {
  ingest::ParseResult result;
  (void)parser_(lines, NowMs(), *collector, &result);
  if (result.rejected_lines == 0) return;
  rows_rejected_.WithLabels({"parse_error"}).Add(double(result.rejected_lines));
  int64_t now = NowMs(), last = last_log_ms_.load();
  if (now - last >= 1000 && last_log_ms_.compare_exchange_strong(last, now) && !result.errors.empty()) {
    spdlog::warn("{} TCP: {} bad line(s), e.g.: {}", opts_.protocol, result.rejected_lines,
                 result.errors.front().message);
  }
}

void TcpLineListener::Flush(RowCollector* collector) {
  EncodedRows& rows = collector->rows();
  if (!collector->messages().empty()) {
    int64_t now = NowMs(), last = last_log_ms_.load();
    if (now - last >= 1000 && last_log_ms_.compare_exchange_strong(last, now)) {
      spdlog::warn("{} TCP: {} row(s) rejected, e.g.: {}", opts_.protocol, collector->rejected(),
                   collector->messages().front());
    }
  }
  if (rows.empty()) return;
  WriteOutcome outcome;
  absl::Status s = writer_->Write(rows, &outcome);
  if (s.ok()) {
    rows_ingested_.Add(double(rows.size()));
    samples_ingested_.Add(double(collector->samples()));
  } else {
    rows_dropped_.Add(double(rows.size()));
    spdlog::error("{} TCP: {} rows not stored: {}", opts_.protocol, rows.size(), std::string(s.message()));
  }
}

void TcpLineListener::Serve(Connection* conn) {
  std::string buf;
  std::optional<RowCollector> collector;
  collector.emplace(opts_.tenant, limits_, &rows_rejected_);
  auto first_pending = std::chrono::steady_clock::time_point::max();
  bool skipping_long_line = false;
  auto flush = [&] {
    Flush(&*collector);
    collector.emplace(opts_.tenant, limits_, &rows_rejected_);
    first_pending = std::chrono::steady_clock::time_point::max();
  };
  auto consume = [&](std::string_view lines) {
    size_t before = collector->rows().size();
    ParseChunk(lines, &*collector);
    if (collector->rows().size() > before && first_pending == std::chrono::steady_clock::time_point::max()) {
      first_pending = std::chrono::steady_clock::now();
    }
    if (collector->rows().size() >= opts_.flush_rows) flush();
  };

  bool open = true;
  while (open) {
    // When stopping, drain what the kernel already holds, then close.
    const bool stopping = stopping_;
    int wait_ms = stopping ? 0 : kPollMs;
    if (!stopping && first_pending != std::chrono::steady_clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(first_pending + opts_.flush_interval -
                                                                        std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, kPollMs));
    }
    pollfd p{conn->fd, POLLIN, 0};
    int rc = poll(&p, 1, wait_ms);
    if (rc > 0) {
      size_t old = buf.size();
      buf.resize(old + kReadBytes);
      ssize_t n = read(conn->fd, buf.data() + old, kReadBytes);
      if (n <= 0) {
        buf.resize(old);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        open = false;
      } else {
        buf.resize(old + static_cast<size_t>(n));
        size_t nl = buf.rfind('\n');
        if (skipping_long_line && nl != std::string::npos) {
          // The rest of an over-long line: drop it up to its end.
          buf.erase(0, buf.find('\n') + 1);
          skipping_long_line = false;
          nl = buf.rfind('\n');
        }
        if (nl != std::string::npos && !skipping_long_line) {
          consume(std::string_view(buf).substr(0, nl + 1));
          buf.erase(0, nl + 1);
        }
        if (buf.size() > opts_.max_line_bytes) {
          if (!skipping_long_line) {
            rows_rejected_.WithLabels({"line_too_long"}).Inc();
            spdlog::warn("{} TCP: dropping a line longer than {} bytes", opts_.protocol, opts_.max_line_bytes);
          }
          buf.clear();
          skipping_long_line = true;
        }
      }
    } else if ((rc < 0 && errno != EINTR) || (rc == 0 && stopping)) {
      open = false;
    }
    if (first_pending != std::chrono::steady_clock::time_point::max() &&
        std::chrono::steady_clock::now() >= first_pending + opts_.flush_interval) {
      flush();
    }
  }
  // The peer closed (or we are stopping): a last line without '\n' is still a line.
  if (!buf.empty() && !skipping_long_line) consume(buf);
  flush();
  close(conn->fd);
  conn->done = true;
}

void TcpLineListener::Shutdown() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  std::list<Connection> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all.swap(connections_);
  }
  for (Connection& c : all) c.thread.join();
  open_connections_.Set(0);
  spdlog::info("{} TCP listener stopped", opts_.protocol);
}

}  // namespace strata
