// strata-insert: accepts every ingest protocol, places series on storage nodes by
// rendezvous hashing with --replication-factor copies, and answers 2xx only once
// every copy is in a storage node's WAL.
#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/strings/str_split.h"
#include "libs/cluster/replicating_writer.h"
#include "libs/cluster/storage_nodes.h"
#include "libs/common/duration.h"
#include "libs/common/flags.h"
#include "libs/common/absl_runtime.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/http/http_server.h"
#include "libs/http/serve.h"
#include "libs/http/termination_signal.h"
#include "services/insert/insert_api.h"
#include "services/insert/tcp_line_listener.h"

int main(int argc, char** argv) {
  strata::http::InstallTerminationHandler();
  strata::TuneAbslRuntime();
  CLI::App app{"strata-insert: ingest protocols -> replicated storage nodes"};
  strata::CommonFlags common;
  std::string http_listen = ":8480", storage_nodes, write_timeout = "5s", ha_label;
  std::vector<std::string> extra_labels;
  size_t rf = 1, min_replicas = 0, max_request_bytes = 64 << 20, max_inflight_bytes = 512 << 20;
  size_t series_cache_bytes = 128 << 20;
  size_t max_labels = 40, max_name = 256, max_value = 4096;
  // Handlers never wait for storage (answers go out from the call that completes
  // the last replica), so one thread per core: with 64, each request woke a cold
  // thread, and insert spent 6-27 % more CPU per sample (docs/benchmarks.md).
  int http_threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  bool storage_compression = true, series_refs = true, write_streams = true;
  int compression_level = -2;
  std::string batch_delay = "5ms";
  size_t batch_rows = 10'000, batch_bytes = 4 << 20, inflight_calls = 1;
  std::string graphite_listen, opentsdb_listen, influx_listen, tcp_flush_interval = "1s";
  size_t tcp_max_connections = 256, tcp_flush_rows = 10'000, tcp_max_line_bytes = 1 << 20;
  strata::AddCommonFlags(app, &common);
  app.add_option("--http-listen", http_listen, "HTTP address for ingestion, /metrics, /health, /ready")
      ->capture_default_str();
  app.add_option("--storage-nodes", storage_nodes, "host:port[,host:port...] or dns+name:port of storage gRPC")
      ->required();
  app.add_option("--replication-factor", rf, "Copies of every series, on distinct storage nodes")
      ->capture_default_str();
  app.add_option("--min-replicas", min_replicas,
                 "Fewest copies for a 2xx when nodes are down (0 = --replication-factor)")
      ->capture_default_str();
  app.add_option("--storage-write-timeout", write_timeout, "Deadline of one Write call to a storage node")
      ->capture_default_str();
  app.add_option("--ha-replica-label", ha_label, "Label dropped from every series (e.g. replica of a Prometheus HA pair)");
  app.add_option("--extra-label", extra_labels, "name=value added to every series (repeatable)");
  app.add_option("--max-request-bytes", max_request_bytes, "Largest request body (413 above)")->capture_default_str();
  app.add_option("--series-cache-bytes", series_cache_bytes,
                 "Memory for what remote_write series' labels were checked and encoded into (0: no cache)")
      ->capture_default_str();
  app.add_option("--max-inflight-bytes", max_inflight_bytes, "Memory for requests being processed (429 above)")
      ->capture_default_str();
  app.add_option("--max-labels-per-series", max_labels, "Series with more labels are rejected")
      ->capture_default_str();
  app.add_option("--max-label-name-bytes", max_name, "Longer label names are rejected")->capture_default_str();
  app.add_option("--max-label-value-bytes", max_value, "Longer label values are rejected")->capture_default_str();
  app.add_option("--http-threads", http_threads, "Request handler threads")->capture_default_str();
  app.add_option("--storage-compression", storage_compression,
                 "Send writes to storage nodes zstd-compressed (WriteCompressed); false sends plain Write")
      ->capture_default_str();
  app.add_option("--storage-compression-level", compression_level,
                 "zstd level of writes to storage nodes: negative = faster, 1..19 = smaller")
      ->check(CLI::Range(-7, 19))
      ->capture_default_str();
  app.add_option("--storage-write-streams", write_streams,
                 "Send writes to storage nodes as messages of WriteStream calls kept open between them; false "
                 "makes a Write call each (as before WriteStream)")
      ->capture_default_str();
  app.add_option("--storage-series-refs", series_refs,
                 "Send rows of series a storage node already holds by series id instead of labels")
      ->capture_default_str();
  app.add_option("--storage-max-inflight-calls", inflight_calls,
                 "Write calls in flight per storage node; rows of further requests wait and are batched")
      ->capture_default_str();
  app.add_option("--storage-batch-delay", batch_delay,
                 "Longest rows wait for a busy storage node before their batch is sent anyway")
      ->capture_default_str();
  app.add_option("--storage-max-batch-rows", batch_rows, "Rows per Write call to a storage node")
      ->capture_default_str();
  app.add_option("--storage-max-batch-bytes", batch_bytes,
                 "Uncompressed bytes per Write call to a storage node (keep below its --grpc-max-message-bytes)")
      ->capture_default_str();
  app.add_option("--graphite-listen", graphite_listen, "TCP address for Graphite plaintext (e.g. :2003); off when empty");
  app.add_option("--opentsdb-listen", opentsdb_listen, "TCP address for OpenTSDB telnet put (e.g. :4242); off when empty");
  app.add_option("--influx-listen", influx_listen, "TCP address for Influx line protocol (e.g. :8089); off when empty");
  app.add_option("--tcp-max-connections", tcp_max_connections, "Open connections per TCP listener (more are closed)")
      ->capture_default_str();
  app.add_option("--tcp-flush-rows", tcp_flush_rows, "A TCP connection writes its rows once this many are pending")
      ->capture_default_str();
  app.add_option("--tcp-max-line-bytes", tcp_max_line_bytes, "Longer TCP lines are rejected and skipped")
      ->capture_default_str();
  app.add_option("--tcp-flush-interval", tcp_flush_interval, "... or once its oldest pending row is this old")
      ->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);

  if (auto s = strata::InitLogging("strata-insert", common); !s.ok()) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 2;
  }
  absl::StatusOr<int64_t> timeout = strata::ParseDuration(write_timeout);
  if (!timeout.ok() || *timeout <= 0) {
    spdlog::error("--storage-write-timeout: want a positive duration such as 5s");
    return 2;
  }
  absl::StatusOr<int64_t> delay = strata::ParseDuration(batch_delay);
  if (!delay.ok() || *delay < 0) {
    spdlog::error("--storage-batch-delay: want a duration such as 5ms");
    return 2;
  }
  if (batch_rows == 0 || batch_bytes == 0 || inflight_calls == 0) {
    spdlog::error(
        "--storage-max-batch-rows, --storage-max-batch-bytes and --storage-max-inflight-calls must be positive");
    return 2;
  }
  if (rf == 0) {
    spdlog::error("--replication-factor must be at least 1");
    return 2;
  }
  strata::InsertApiOptions api_opts;
  api_opts.max_inflight_bytes = max_inflight_bytes;
  api_opts.series_cache_bytes = series_cache_bytes;
  api_opts.limits.ha_replica_label = ha_label;
  api_opts.limits.max_labels_per_series = max_labels;
  api_opts.limits.max_label_name_bytes = max_name;
  api_opts.limits.max_label_value_bytes = max_value;
  for (const std::string& kv : extra_labels) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || !strata::IsValidLabelName(kv.substr(0, eq))) {
      spdlog::error("--extra-label \"{}\": want name=value with a valid label name", kv);
      return 2;
    }
    api_opts.limits.extra_labels.push_back(strata::Label{kv.substr(0, eq), kv.substr(eq + 1)});
  }

  strata::StorageClientOptions client_opts;
  client_opts.compress = storage_compression;
  client_opts.compression_level = compression_level;
  client_opts.write_streams = write_streams;
  absl::StatusOr<std::unique_ptr<strata::StorageNodes>> nodes =
      strata::StorageNodes::Create(storage_nodes, client_opts);
  if (!nodes.ok()) {
    spdlog::error("--storage-nodes: {}", std::string(nodes.status().message()));
    return 2;
  }
  if ((*nodes)->Current()->nodes.size() < rf) {
    spdlog::warn("--replication-factor={} but only {} storage nodes: every series gets {} copies", rf,
                 (*nodes)->Current()->nodes.size(), (*nodes)->Current()->nodes.size());
  }
  strata::MetricsRegistry& registry = strata::DefaultRegistry();
  strata::ReplicatingWriterOptions wopts;
  wopts.replication_factor = rf;
  wopts.min_replicas = min_replicas;
  wopts.timeout = std::chrono::milliseconds(*timeout);
  wopts.max_batch_rows = batch_rows;
  wopts.max_batch_bytes = batch_bytes;
  wopts.batch_delay = std::chrono::milliseconds(*delay);
  wopts.max_inflight_per_node = inflight_calls;
  wopts.series_refs = series_refs;
  strata::ReplicatingWriter writer(nodes->get(), wopts, &registry);
  strata::InsertApi api(&writer, api_opts, &registry);

  // TCP listeners start before HTTP so that /ready means every listener is up.
  absl::StatusOr<int64_t> flush_interval = strata::ParseDuration(tcp_flush_interval);
  if (!flush_interval.ok() || *flush_interval <= 0) {
    spdlog::error("--tcp-flush-interval: want a positive duration such as 1s");
    return 2;
  }
  std::vector<std::unique_ptr<strata::TcpLineListener>> listeners;
  const std::tuple<const char*, const std::string&, strata::LineParser> tcp[] = {
      {"graphite", graphite_listen, strata::GraphiteLineParser()},
      {"opentsdb", opentsdb_listen, strata::OpenTsdbTelnetLineParser()},
      {"influx", influx_listen, strata::InfluxLineParser()},
  };
  for (const auto& [protocol, listen, parser] : tcp) {
    if (listen.empty()) continue;
    strata::TcpLineListenerOptions o;
    o.protocol = protocol;
    o.listen = listen;
    o.max_connections = tcp_max_connections;
    o.flush_rows = tcp_flush_rows;
    o.max_line_bytes = tcp_max_line_bytes;
    o.flush_interval = std::chrono::milliseconds(*flush_interval);
    auto l = std::make_unique<strata::TcpLineListener>(o, parser, &writer, api_opts.limits, &registry);
    if (auto s = l->Start(); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
      return 1;
    }
    listeners.push_back(std::move(l));
  }
  strata::http::HttpServerOptions hopts;
  hopts.listen = http_listen;
  hopts.max_body_bytes = max_request_bytes;
  hopts.threads = http_threads;
  strata::http::HttpServer http(hopts);
  api.Register(&http);
  return strata::http::ServeUntilTerminated(
      http, fmt::format("ready: {} storage nodes, RF {}", (*nodes)->Current()->nodes.size(), rf),
      [&] { for (auto& l : listeners) l->Shutdown(); });
}
