// strata-select: the Prometheus HTTP API over every storage node — fan-out,
// replica dedup, PromQL, limits.
#include <cstdio>

#include "libs/cluster/storage_nodes.h"
#include "libs/common/duration.h"
#include "libs/common/flags.h"
#include "libs/common/absl_runtime.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/http/http_server.h"
#include "libs/http/serve.h"
#include "libs/http/termination_signal.h"
#include "services/select/select_api.h"

namespace {

bool Dur(const std::string& flag, const std::string& v, int64_t* out) {
  absl::StatusOr<int64_t> d = strata::ParseDuration(v);
  if (!d.ok() || *d < 0) {
    spdlog::error("--{}: \"{}\" is not a duration such as 30s", flag, v);
    return false;
  }
  *out = *d;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  strata::http::InstallTerminationHandler();
  strata::TuneAbslRuntime();
  CLI::App app{"strata-select: Prometheus query API over the storage nodes"};
  strata::CommonFlags common;
  std::string http_listen = ":8481", storage_nodes, dedup = "0", node_timeout = "30s", max_duration = "30s",
              queue = "10s", lookback = "5m";
  size_t rf = 1, max_series = 0, max_concurrent = 8, max_query_len = 16384;
  uint64_t max_samples = 1'000'000'000;
  bool deny_partial = false;
  int http_threads = 32;
  bool search_streams = true;
  strata::AddCommonFlags(app, &common);
  app.add_option("--http-listen", http_listen, "HTTP address of the API")->capture_default_str();
  app.add_option("--storage-nodes", storage_nodes, "host:port[,host:port...] or dns+name:port of storage gRPC")
      ->required();
  app.add_option("--replication-factor", rf, "Copies insert keeps; answers stay complete while fewer nodes fail")
      ->capture_default_str();
  app.add_option("--dedup-interval", dedup, "Keep one sample per interval per series (0 = exact duplicates only)")
      ->capture_default_str();
  app.add_flag("--deny-partial-response", deny_partial, "Answer 503 instead of a partial answer");
  app.add_option("--storage-timeout", node_timeout, "Deadline of one storage node's part of a query")
      ->capture_default_str();
  app.add_option("--search-max-query-duration", max_duration, "Longest a query may run")->capture_default_str();
  app.add_option("--search-max-series", max_series, "Most series one selector may match (0 = unlimited)")
      ->capture_default_str();
  app.add_option("--search-max-samples-per-query", max_samples, "Most samples a query may hold in memory")
      ->capture_default_str();
  app.add_option("--search-max-concurrent-requests", max_concurrent, "Queries evaluated at once")
      ->capture_default_str();
  app.add_option("--search-max-queue-duration", queue, "Longest a query waits for a free slot")
      ->capture_default_str();
  app.add_option("--search-max-query-len", max_query_len, "Longest query text in bytes")->capture_default_str();
  app.add_option("--search-lookback-delta", lookback, "PromQL lookback delta")->capture_default_str();
  app.add_option("--http-threads", http_threads, "Request handler threads")->capture_default_str();
  app.add_option("--search-streams", search_streams,
                 "Search storage nodes on calls kept open between searches (false: a call per search)")
      ->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);
  if (auto s = strata::InitLogging("strata-select", common); !s.ok()) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 2;
  }
  strata::SelectApiOptions opts;
  int64_t node_timeout_ms = 0;
  if (!Dur("dedup-interval", dedup, &opts.fanout.dedup_interval_ms) ||
      !Dur("storage-timeout", node_timeout, &node_timeout_ms) ||
      !Dur("search-max-query-duration", max_duration, &opts.max_query_duration_ms) ||
      !Dur("search-max-queue-duration", queue, &opts.max_queue_ms) ||
      !Dur("search-lookback-delta", lookback, &opts.lookback_delta_ms)) {
    return 2;
  }
  opts.fanout.replication_factor = rf;
  opts.fanout.deny_partial = deny_partial;
  opts.fanout.node_timeout = std::chrono::milliseconds(node_timeout_ms);
  opts.fanout.max_series = max_series;
  opts.max_samples_per_query = max_samples;
  opts.max_concurrent = std::max<size_t>(1, max_concurrent);
  opts.max_query_len = max_query_len;

  strata::StorageClientOptions client_opts;
  client_opts.callback_calls = false;  // every call select makes is synchronous
  client_opts.search_streams = search_streams;
  absl::StatusOr<std::unique_ptr<strata::StorageNodes>> nodes = strata::StorageNodes::Create(storage_nodes, client_opts);
  if (!nodes.ok()) {
    spdlog::error("--storage-nodes: {}", std::string(nodes.status().message()));
    return 2;
  }
  strata::SelectApi api(nodes->get(), opts, &strata::DefaultRegistry());
  strata::http::HttpServerOptions hopts;
  hopts.listen = http_listen;
  hopts.threads = http_threads;
  strata::http::HttpServer http(hopts);
  api.Register(&http);
  return strata::http::ServeUntilTerminated(
      http, fmt::format("ready: {} storage nodes, RF {}", (*nodes)->Current()->nodes.size(), rf));
}
