// strata-storage: stores series on local disk and serves the Storage gRPC API
// (proto/storage.proto) plus admin HTTP (/metrics, /health, /ready, snapshots).
#include <grpcpp/grpcpp.h>

#include <cstdlib>

#include "libs/common/duration.h"
#include "libs/common/flags.h"
#include "libs/common/absl_runtime.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/status_util.h"
#include "libs/http/http_server.h"
#include "libs/http/termination_signal.h"
#include "libs/rpc/callback_threads.h"
#include "libs/storage/engine.h"
#include "services/storage/admin_handlers.h"
#include "services/storage/storage_service.h"

namespace {

struct Flags {
  strata::CommonFlags common;
  std::string data_dir = "strata-storage-data";
  std::string grpc_listen = ":8400";
  std::string http_listen = ":8482";
  std::string retention = "31d";
  std::string dedup_interval = "0";
  std::string wal_fsync = "always";
  std::string wal_fsync_interval = "100ms";
  std::string head_flush_interval = "5m";
  std::string compaction_interval = "10m";
  size_t max_write_rows = 1'000'000;
  size_t search_block_cache_bytes = 256 << 20;
  size_t grpc_max_message_bytes = 64 << 20;
  int write_threads = 0;
  int read_threads = 0;
};

absl::StatusOr<strata::storage::EngineOptions> EngineOptionsFrom(const Flags& f) {
  strata::storage::EngineOptions o;
  o.data_dir = f.data_dir;
  auto parse = [](const std::string& flag, const std::string& v, int64_t* out) -> absl::Status {
    absl::StatusOr<int64_t> d = strata::ParseDuration(v);
    if (!d.ok()) return absl::InvalidArgumentError("--" + flag + ": " + std::string(d.status().message()));
    *out = *d;
    return absl::OkStatus();
  };
  STRATA_RETURN_IF_ERROR(parse("retention", f.retention, &o.retention_ms));
  STRATA_RETURN_IF_ERROR(parse("dedup-interval", f.dedup_interval, &o.dedup_interval_ms));
  STRATA_RETURN_IF_ERROR(parse("wal-fsync-interval", f.wal_fsync_interval, &o.wal_fsync_interval_ms));
  STRATA_RETURN_IF_ERROR(parse("head-flush-interval", f.head_flush_interval, &o.head_flush_interval_ms));
  STRATA_RETURN_IF_ERROR(parse("compaction-interval", f.compaction_interval, &o.compaction_interval_ms));
  if (o.retention_ms <= 0) return absl::InvalidArgumentError("--retention must be > 0");
  if (o.head_flush_interval_ms <= 0) return absl::InvalidArgumentError("--head-flush-interval must be > 0");
  if (o.compaction_interval_ms <= 0) return absl::InvalidArgumentError("--compaction-interval must be > 0");
  absl::StatusOr<strata::wal::FsyncPolicy> policy = strata::wal::ParseFsyncPolicy(f.wal_fsync);
  if (!policy.ok()) return absl::InvalidArgumentError("--wal-fsync: " + std::string(policy.status().message()));
  o.wal_fsync = *policy;
  o.max_rows_per_write = f.max_write_rows;
  o.series_block_cache_bytes = f.search_block_cache_bytes;
  return o;
}

void RegisterEngineMetrics(strata::MetricsRegistry& r, strata::storage::StorageEngine* e) {
  const auto& s = e->stats();
  r.AddCallbackCounter("strata_storage_rows_written_total", "Rows (series x batch) stored.",
                       [&s] { return double(s.rows_written.load()); });
  r.AddCallbackCounter("strata_storage_samples_written_total", "Samples acknowledged (in the WAL).",
                       [&s] { return double(s.samples_written.load()); });
  r.AddCallbackCounter("strata_storage_new_series_total", "Series seen for the first time.",
                       [&s] { return double(s.new_series.load()); });
  r.AddCallbackCounter("strata_storage_samples_rejected_outside_retention_total",
                       "Samples rejected for being older than now - retention.",
                       [&s] { return double(s.rejected_outside_retention.load()); });
  r.AddCallbackCounter("strata_storage_samples_rejected_too_far_in_future_total",
                       "Samples rejected for being more than 2d ahead of the node's clock.",
                       [&s] { return double(s.rejected_too_far_in_future.load()); });
  r.AddCallbackCounter("strata_storage_rows_rejected_invalid_total",
                       "Rows rejected as invalid (their whole batch was refused).",
                       [&s] { return double(s.rejected_invalid_rows.load()); });
  r.AddCallbackCounter("strata_storage_rows_refused_unknown_ref_total",
                       "Reference rows naming a series this node does not hold (their whole batch was "
                       "refused with FAILED_PRECONDITION; insert resends it with labels).",
                       [&s] { return double(s.refused_unknown_refs.load()); });
  r.AddCallbackCounter("strata_storage_head_flushes_total", "Head flushes into blocks.",
                       [&s] { return double(s.head_flushes.load()); });
  r.AddCallbackCounter("strata_storage_blocks_written_total", "Blocks written by head flushes.",
                       [&s] { return double(s.blocks_written.load()); });
  r.AddCallbackCounter("strata_storage_compactions_total", "Compaction passes.",
                       [&s] { return double(s.compactions.load()); });
  r.AddCallbackCounter("strata_storage_samples_deduplicated_total", "Samples removed by --dedup-interval.",
                       [&s] { return double(s.samples_deduplicated.load()); });
  r.AddCallbackCounter("strata_storage_partitions_dropped_total", "Day partitions dropped by retention.",
                       [&s] { return double(s.partitions_dropped.load()); });
  r.AddCallbackCounter("strata_storage_wal_replay_errors_total", "WAL records or segments that failed to replay.",
                       [&s] { return double(s.wal_replay_errors.load()); });
  r.AddCallbackCounter("strata_storage_wal_replay_dropped_ref_rows_total",
                       "Reference rows skipped at WAL replay because their series was deleted after they were "
                       "written (the rest of their record is replayed).",
                       [&s] { return double(s.wal_replay_dropped_ref_rows.load()); });
  r.AddCallbackCounter("strata_storage_search_series_total", "Series returned by Search.",
                       [&s] { return double(s.search_series.load()); });
  r.AddCallbackCounter("strata_storage_search_block_cache_hits_total",
                       "Series partitions whose blocks a search found in --search-block-cache-bytes.",
                       [&s] { return double(s.block_cache_hits.load()); });
  r.AddCallbackCounter("strata_storage_search_block_cache_misses_total",
                       "Series partitions whose blocks a search read from RocksDB.",
                       [&s] { return double(s.block_cache_misses.load()); });
  r.AddCallbackGauge("strata_storage_search_block_cache_bytes", "Bytes held by the search block cache.",
                     [e] { return double(e->BlockCacheBytes()); });
  r.AddCallbackCounter("strata_storage_wal_fsyncs_total", "WAL fsyncs (group commits under --wal-fsync=always).",
                       [e] { return double(e->WalStats().fsyncs); });
  r.AddCallbackCounter("strata_storage_wal_records_total", "WAL records acknowledged.",
                       [e] { return double(e->WalStats().records_appended); });
  r.AddCallbackCounter("strata_storage_wal_bytes_written_total", "Bytes written to WAL segments.",
                       [e] { return double(e->WalStats().bytes_written); });
  r.AddCallbackCounter("strata_storage_wal_torn_tails_truncated_total",
                       "Torn or corrupt WAL tails cut at start-up (logged with file and offset).",
                       [e] { return double(e->WalStats().torn_tails_truncated); });
  r.AddCallbackGauge("strata_storage_head_series", "Series with samples in memory.",
                     [e] { return double(e->HeadSeries()); });
  r.AddCallbackGauge("strata_storage_head_samples", "Samples in memory not yet in blocks.",
                     [e] { return double(e->HeadSamples()); });
  r.AddCallbackGauge("strata_storage_wal_bytes", "Bytes of WAL segments on disk.",
                     [e] { return double(e->WalBytes()); });
  r.AddCallbackGauge("strata_storage_disk_bytes", "Bytes of the data directory (without snapshots).",
                     [e] { return double(e->DiskBytes()); });
}

}  // namespace

int main(int argc, char** argv) {
  strata::http::InstallTerminationHandler();
  strata::TuneAbslRuntime();
  CLI::App app{"strata-storage: stores series on local disk; serves the Storage gRPC API"};
  Flags f;
  strata::AddCommonFlags(app, &f.common);
  app.add_option("--data-dir", f.data_dir, "Where this node keeps its data")->capture_default_str();
  app.add_option("--grpc-listen", f.grpc_listen, "gRPC address for insert/select/stratactl")->capture_default_str();
  app.add_option("--http-listen", f.http_listen, "HTTP address for /metrics, /health, /ready, admin")
      ->capture_default_str();
  app.add_option("--retention", f.retention, "How long samples are kept (Prometheus duration)")->capture_default_str();
  app.add_option("--dedup-interval", f.dedup_interval,
                 "Keep one sample per interval per series at compaction (0 = off); see DESIGN.md 5")
      ->capture_default_str();
  app.add_option("--wal-fsync", f.wal_fsync,
                 "always: ack after fsync (survives power loss); interval: ack after write, fsync every "
                 "--wal-fsync-interval (survives kill -9); never")
      ->capture_default_str();
  app.add_option("--wal-fsync-interval", f.wal_fsync_interval, "Background fsync period for --wal-fsync=interval")
      ->capture_default_str();
  app.add_option("--head-flush-interval", f.head_flush_interval, "How often in-memory samples become blocks")
      ->capture_default_str();
  app.add_option("--compaction-interval", f.compaction_interval, "How often small blocks are merged")
      ->capture_default_str();
  app.add_option("--search-block-cache-bytes", f.search_block_cache_bytes,
                 "Memory for persisted blocks of recently searched series, so repeated searches skip "
                 "RocksDB (0 = off)")
      ->capture_default_str();
  app.add_option("--max-write-rows", f.max_write_rows, "Rows above which a Write batch is rejected")
      ->capture_default_str();
  app.add_option("--grpc-max-message-bytes", f.grpc_max_message_bytes, "Largest gRPC message accepted")
      ->capture_default_str();
  app.add_option("--write-threads", f.write_threads,
                 "Threads running Write calls (each waits for its WAL group commit); 0 = 2 per core, at least 4")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--read-threads", f.read_threads,
                 "Threads running Search, Export, Import and the other read and admin calls; 0 = 4 per core, "
                 "at least 16")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);

  if (auto s = strata::InitLogging("strata-storage", f.common); !s.ok()) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 2;
  }
  absl::StatusOr<strata::storage::EngineOptions> opts = EngineOptionsFrom(f);
  if (!opts.ok()) {
    spdlog::error("{}", std::string(opts.status().message()));
    return 2;
  }

  strata::http::HttpServerOptions hopts;
  hopts.listen = f.http_listen;
  strata::http::HttpServer http(hopts);
  std::atomic<bool> ready{false};
  http.SetReadinessCheck([&ready] { return ready.load(); });
  std::atomic<strata::storage::StorageEngine*> engine_ptr{nullptr};
  strata::RegisterAdminHandlers(&http, &engine_ptr);
  // Start HTTP first so /health answers while the WAL replays.
  if (auto s = http.Start(); !s.ok()) {
    spdlog::error("{}", std::string(s.message()));
    return 1;
  }

  spdlog::info("opening {} (retention {}, dedup {}, wal-fsync {})", f.data_dir, f.retention, f.dedup_interval,
               f.wal_fsync);
  absl::StatusOr<std::unique_ptr<strata::storage::StorageEngine>> engine = strata::storage::StorageEngine::Open(*opts);
  if (!engine.ok()) {
    spdlog::error("cannot open storage: {}", std::string(engine.status().message()));
    return 1;
  }
  strata::MetricsRegistry& registry = strata::DefaultRegistry();
  RegisterEngineMetrics(registry, engine->get());
  engine_ptr = engine->get();

  strata::StorageService service(engine->get(), &registry, f.grpc_max_message_bytes, f.write_threads,
                                 f.read_threads);
  grpc::ServerBuilder builder;
  std::string grpc_addr = f.grpc_listen;
  if (!grpc_addr.empty() && grpc_addr[0] == ':') grpc_addr = "0.0.0.0" + grpc_addr;
  int grpc_port = 0;
  builder.AddListeningPort(grpc_addr, grpc::InsecureServerCredentials(), &grpc_port);
  // gRPC sets SO_REUSEPORT by default: a second node started on this port by mistake
  // would bind too and take half the connections, acknowledging writes into another
  // data directory. Without it, that second node fails to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(f.grpc_max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(f.grpc_max_message_bytes));
  builder.RegisterService(&service);
  strata::PinCallbackThreads();  // the Storage service is callback methods only
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || grpc_port == 0) {
    spdlog::error("cannot listen for gRPC on {} (address in use?)", f.grpc_listen);
    return 1;
  }
  ready = true;
  spdlog::info("ready: node {} gRPC {} HTTP :{}", (*engine)->node_id(), f.grpc_listen, http.port());

  strata::http::WaitForTerminationSignal();
  spdlog::info("shutting down");
  ready = false;
  service.EndStreams();  // select and insert keep them open; Shutdown would wait for them
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  service.Stop();
  http.Shutdown(absl::Seconds(5));
  engine_ptr = nullptr;
  absl::Status closed = (*engine)->Close();
  if (!closed.ok()) {
    spdlog::error("close: {}", std::string(closed.message()));
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}
