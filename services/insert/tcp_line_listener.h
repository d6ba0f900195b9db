// TcpLineListener: a TCP listener for a line protocol (Graphite plaintext, OpenTSDB
// telnet `put`, Influx line protocol) in strata-insert.
//
// Each connection gets its own thread (at most max_connections; more are closed at
// once and counted). A connection's bytes are cut at the last '\n' and the complete
// lines handed to the protocol's parser; the rows go through the same RowCollector as
// HTTP ingestion (limits, relabelling, rejections by reason) and are written with the
// ReplicatingWriter in batches: when flush_rows rows are pending, when
// flush_interval has passed since the first pending row, and when the peer closes.
// A bad line is counted in strata_insert_rows_rejected_total{reason="parse_error"}
// and logged (at most once per second per listener); the connection stays open.
// TCP has no acknowledgement: rows a failed write could not store are counted in
// strata_insert_tcp_rows_dropped_total{protocol} and logged.
//
//   TcpLineListener graphite({.protocol = "graphite", .listen = ":2003"},
//                            GraphiteLineParser(), &writer, limits, &registry);
//   if (absl::Status s = graphite.Start(); !s.ok()) ...;
//   ...
//   graphite.Shutdown();  // stops accepting, flushes and closes every connection
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "libs/cluster/replicating_writer.h"
#include "libs/common/metrics.h"
#include "libs/ingest/row_sink.h"
#include "services/insert/row_collector.h"

namespace strata {

struct TcpLineListenerOptions {
  std::string protocol;  // metric label and log prefix: "graphite", "opentsdb", "influx"
  std::string listen;    // "[host]:port"; ":2003" = all interfaces, "127.0.0.1:0" = any free port
  size_t max_connections = 256;
  size_t flush_rows = 10'000;
  std::chrono::milliseconds flush_interval{1000};
  size_t max_line_bytes = 1 << 20;  // a longer line is rejected and skipped
  Tenant tenant;
};

// Parses complete lines (a chunk ending in '\n') into `sink`, as the ingest parsers do.
using LineParser =
    std::function<absl::Status(std::string_view lines, int64_t now_ms, ingest::RowSink& sink, ingest::ParseResult*)>;

LineParser GraphiteLineParser();
LineParser OpenTsdbTelnetLineParser();
LineParser InfluxLineParser();

class TcpLineListener {
 public:
  // `writer`, `limits` and `registry` must outlive the listener.
  TcpLineListener(TcpLineListenerOptions opts, LineParser parser, ReplicatingWriter* writer,
                  const IngestLimits& limits, MetricsRegistry* registry);
  ~TcpLineListener();

  TcpLineListener(const TcpLineListener&) = delete;
  TcpLineListener& operator=(const TcpLineListener&) = delete;

  // Binds, listens and starts accepting. InvalidArgument for a malformed address,
  // Unavailable when the address cannot be bound.
  absl::Status Start();

  // The bound port (useful with port 0). REQUIRES: Start() succeeded.
  int port() const { return port_; }

  // Stops accepting, flushes what every connection has parsed, closes connections and
  // joins their threads. Idempotent.
  void Shutdown();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop();
  void Serve(Connection* conn);
  void ParseChunk(std::string_view lines, RowCollector* collector);
  void Flush(RowCollector* collector);
  void ReapFinished();

  TcpLineListenerOptions opts_;
  LineParser parser_;
  ReplicatingWriter* writer_;
  const IngestLimits& limits_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::list<Connection> connections_;  // guarded by mu_
  std::atomic<int64_t> last_log_ms_{0};

  CounterFamily& rows_rejected_;
  Counter& rows_ingested_;
  Counter& samples_ingested_;
  Counter& rows_dropped_;
  Counter& connections_refused_;
  Gauge& open_connections_;
};

}  // namespace strata
