// The HTTP ingest API of strata-insert (VictoriaMetrics-compatible paths):
//
//   /insert/<tenant>/prometheus[/api/v1/write|/api/v1/push]   remote_write 1.0 -> 204
//   /insert/<tenant>/prometheus/api/v1/import                 JSON lines       -> 204
//   /insert/<tenant>/prometheus/api/v1/import/csv?format=...  CSV              -> 204
//   /insert/<tenant>/prometheus/api/v1/import/prometheus[/metrics/job/J[/instance/I]]
//                                                             text exposition  -> 204
//   /insert/<tenant>/influx/write, .../influx/api/v2/write    Influx line protocol -> 204
//   /insert/<tenant>/opentsdb/api/put                         OpenTSDB JSON    -> 204
// and for tenant 0: /api/v1/write, /api/v1/push, /api/v1/import[/csv|/prometheus],
// /write, /api/v2/write, /opentsdb/api/put.
//
// Answers: 204 when every row is stored on enough replicas; 400 naming the problem
// for an unusable body or bad tenant, or — with the valid rows stored — naming how
// many lines/rows were rejected and why; 413 for a body over --max-request-bytes (the
// HTTP server); 429 + Retry-After when --max-inflight-bytes is in use; 503 when the
// rows could not reach --min-replicas storage nodes (nothing acknowledged).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "libs/cluster/replicating_writer.h"
#include "libs/common/metrics.h"
#include "libs/http/http_server.h"
#include "libs/ingest/row_sink.h"
#include "services/insert/row_collector.h"
#include "services/insert/series_cache.h"

namespace strata {

struct InsertApiOptions {
  IngestLimits limits;
  size_t max_inflight_bytes = 512 << 20;
  size_t max_decoded_bytes = 256 << 20;
  size_t series_cache_bytes = 128 << 20;  // SeriesCache of remote_write series; 0: none
};

class InsertApi {
 public:
  InsertApi(ReplicatingWriter* writer, InsertApiOptions opts, MetricsRegistry* registry);
  ~InsertApi();

  void Register(http::HttpServer* server);

  // Parses with `parse` (on this thread) into rows for `tenant`, stores them, and
  // answers through `respond` once they are stored or refused (maybe on a gRPC
  // thread, after this returns).
  using ParseFn = std::function<absl::Status(ingest::RowSink&, ingest::ParseResult*)>;
  void Ingest(const char* protocol, Tenant tenant, size_t body_bytes, const ParseFn& parse, int ok_status,
              http::HttpResponder respond);

 private:
  struct Request;
  void Dispatch(const http::HttpRequest& req, const http::HttpResponder& respond, Tenant tenant,
                std::string_view path);

  ReplicatingWriter* writer_;
  InsertApiOptions opts_;
  MetricsRegistry* registry_;
  SeriesCache series_cache_;
  std::atomic<size_t> inflight_{0};
  CounterFamily& rows_ingested_;
  CounterFamily& samples_ingested_;
  CounterFamily& rows_rejected_;
  CounterFamily& requests_;
  Counter& cache_hits_;
  Counter& cache_misses_;
  Gauge& inflight_gauge_;
};

}  // namespace strata
