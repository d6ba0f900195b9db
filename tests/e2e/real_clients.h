// Helpers for end-to-end tests that run real third-party clients (Debian's
// prometheus-node-exporter, Prometheus 2.42, vmagent, vmalert) against a Strata
// cluster on loopback, and read Prometheus-API answers from any of them.
//
//   NodeExporter exporter;                       // free loopback port, own log
//   REQUIRE(exporter.proc.Start(30).ok());
//   auto m = QueryMatrix(select.http_port, "node_load1[1m]", t_sec);
//   REQUIRE(m.ok());
//   for (auto& [labels, samples] : *m) ...
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/integration/service_process.h"

namespace strata::testing {

constexpr const char* kNodeExporterBin = "/usr/bin/prometheus-node-exporter";
constexpr const char* kPrometheusBin = "/usr/bin/prometheus";
constexpr const char* kVmagentBin = "/usr/bin/vmagent";
constexpr const char* kVmalertBin = "/usr/bin/vmalert";

// prometheus-node-exporter started directly (not through systemd) on a free
// loopback port; /metrics is its ready path.
struct NodeExporter {
  NodeExporter();
  int port;
  ServiceProcess proc;
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
};

// One sample as a Prometheus-API JSON answer carries it: milliseconds and the value
// exactly as written ("1", "NaN", "+Inf", "0.25"...).
struct ApiSample {
  int64_t t_ms;
  std::string value;
  bool operator<(const ApiSample& o) const { return t_ms < o.t_ms || (t_ms == o.t_ms && value < o.value); }
  bool operator==(const ApiSample& o) const { return t_ms == o.t_ms && value == o.value; }
};

// Label set rendered as {a="x", b="y"} (sorted by name, __name__ included) ->
// samples, one entry per result series.
using ApiSeries = std::map<std::string, std::vector<ApiSample>>;

// GET /api/v1/query?query=..&time=.. on 127.0.0.1:port (Strata select or a real
// Prometheus) and the vector or matrix it answers. `time_s` <= 0 means "now".
// Errors: transport failures, non-200 answers, status != "success", other result types.
absl::StatusOr<ApiSeries> QueryApi(int port, const std::string& query, double time_s = 0);

// Polls QueryApi every 500 ms for up to `timeout_s` until it answers at least
// `min_series` series; returns the last answer (or the last error).
absl::StatusOr<ApiSeries> WaitForSeries(int port, const std::string& query, size_t min_series,
                                        double timeout_s = 60);

// The label names of a key of ApiSeries (for "has no `replica` label" checks).
std::vector<std::string> LabelNamesOf(const std::string& series_key);

}  // namespace strata::testing
