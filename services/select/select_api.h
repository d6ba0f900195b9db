// The Prometheus HTTP API of strata-select, for tenant 0 at the plain paths
// (/api/v1/query, ...) and for any tenant under /select/<tenant>/prometheus/:
// query, query_range, series, labels, label/<name>/values, metadata,
// status/buildinfo, query_exemplars, rules, alerts, export, federate,
// admin/tsdb/delete_series, status/tsdb, and remote_read api/v1/read (SAMPLES,
// remote_read.h); plus the query page (ui/index.html, compiled in) at / and
// /select/<tenant>/ui. GET and form-encoded POST. Answers and errors as
// Prometheus 2.42 writes them (prom_json.h); partial answers carry
// "isPartial":true and warnings naming the failed storage nodes. Endpoint
// reference with examples: docs/api.md.
#pragma once

#include <atomic>
#include <chrono>

#include "libs/cluster/fanout_querier.h"
#include "libs/common/metrics.h"
#include "libs/http/http_server.h"
#include "libs/promql/engine/engine.h"

namespace strata {

struct SelectApiOptions {
  FanoutOptions fanout;
  int64_t max_query_duration_ms = 30'000;       // --search-max-query-duration
  uint64_t max_samples_per_query = 1'000'000'000;  // --search-max-samples-per-query
  size_t max_concurrent = 8;                     // --search-max-concurrent-requests
  int64_t max_queue_ms = 10'000;                 // --search-max-queue-duration
  size_t max_query_len = 16 * 1024;              // --search-max-query-len
  int64_t max_points_per_series = 11'000;        // Prometheus' resolution limit
  int64_t lookback_delta_ms = 5 * 60'000;
};

class SelectApi {
 public:
  SelectApi(StorageNodes* nodes, SelectApiOptions opts, MetricsRegistry* registry);
  void Register(http::HttpServer* server);

 private:
  void Route(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant, std::string_view path);
  void Query(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant, bool range);
  void Series(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  void Labels(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant, const std::string* name);
  void Export(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  void Federate(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  void DeleteSeries(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  void TsdbStatus(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  void RemoteRead(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant);
  FanoutOptions FanoutFor(const http::HttpRequest& req) const;

  // Admission: at most max_concurrent queries run; others wait up to max_queue_ms.
  bool Acquire();
  void Release();

  StorageNodes* nodes_;
  SelectApiOptions opts_;
  promql::Engine engine_;
  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  size_t running_ = 0;
  CounterFamily& queries_;
  HistogramFamily& latency_;
  CounterFamily& errors_;
  Gauge& running_gauge_;
};

}  // namespace strata
