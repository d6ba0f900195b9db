// Real Prometheus 2.42 (Debian package) against a Strata cluster: it remote_writes
// its own metrics through strata-insert (RF=2 over 3 storage nodes), and promtool
// queries them back through strata-select.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "libs/http/url.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";

std::string Run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *status = pclose(p);
  return out;
}

}  // namespace

TEST_CASE("Prometheus 2.42 remote_writes through insert, every series lands on 2 nodes, promtool reads it back") {
  REQUIRE(access(kPrometheus, X_OK) == 0);  // installed by tools/deps.sh --e2e
  ReplicatedCluster cl;
  REQUIRE(cl.Start().ok());
  const auto& nodes = cl.nodes;
  const InsertProcess& insert = cl.insert;
  const SelectProcess& select = cl.select;

  TempDir prom_dir;
  const int prom_port = FreePort();
  {
    std::ofstream cfg(prom_dir.path() + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  external_labels:\n    cluster: e2e\n"
        << "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:"
        << prom_port << "']\n"
        << "remote_write:\n  - url: http://127.0.0.1:" << insert.http_port << "/api/v1/write\n"
        << "    queue_config:\n      batch_send_deadline: 1s\n      max_samples_per_send: 500\n";
  }
  ServiceProcess prom(kPrometheus,
                      {"--config.file=" + prom_dir.path() + "/prometheus.yml",
                       "--storage.tsdb.path=" + prom_dir.path() + "/data",
                       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                      prom_port, "/-/ready");
  REQUIRE(prom.Start(60).ok());

  // Wait (bounded) until Prometheus' own up series is queryable through select.
  http::HttpClient client("127.0.0.1", select.http_port);
  std::string body;
  bool found = false;
  for (int i = 0; i < 120 && !found; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto r = client.Get("/api/v1/query?query=" + http::UrlEncode("up{job=\"prometheus\",cluster=\"e2e\"}"));
    if (r.ok() && r->status == 200 && r->body.find("\"value\":[") != std::string::npos) {
      body = r->body;
      found = true;
    }
  }
  INFO("select answered: " << body << "\nsee " << insert.proc->log_path());
  REQUIRE(found);
  CHECK(body.find(",\"1\"]") != std::string::npos);

  // Every series Prometheus sent is stored on exactly 2 of the 3 nodes.
  const int64_t now = NowMs();
  std::map<std::string, int> copies;
  for (auto* n : nodes) {
    for (auto& [series, samples] : SearchNode(n->stub.get(), {Eq("job", "prometheus")}, now - 600'000, now + 60'000)) {
      copies[series]++;
    }
  }
  CHECK(copies.size() > 100);  // prometheus_* self-metrics
  size_t wrong = 0;
  for (auto& [series, n] : copies) wrong += n != 2;
  CHECK(wrong == 0);

  // promtool, a real Prometheus API client, against select.
  int status = 0;
  std::string sel = "http://127.0.0.1:" + std::to_string(select.http_port);
  std::string out = Run(std::string(kPromtool) + " query instant " + sel + " 'up{job=\"prometheus\"}'", &status);
  CHECK(status == 0);
  CHECK(out.find("up{cluster=\"e2e\", instance=\"127.0.0.1:" + std::to_string(prom_port) + "\", job=\"prometheus\"} => 1") !=
        std::string::npos);
  // The end is a little ahead: the first scrape may be less than a second old, and an
  // end truncated to whole seconds would then precede every sample.
  out = Run(std::string(kPromtool) + " query range --start=" + std::to_string(now / 1000 - 30) +
                " --end=" + std::to_string(now / 1000 + 5) + " --step=5s " + sel + " 'count(up)'",
            &status);
  CHECK(status == 0);
  CHECK(out.find("{} =>") != std::string::npos);
  out = Run(std::string(kPromtool) + " query labels " + sel + " job", &status);
  CHECK(status == 0);
  CHECK(out.find("prometheus") != std::string::npos);
  out = Run(std::string(kPromtool) + " query series --match='up' " + sel, &status);
  CHECK(status == 0);
  CHECK(out.find("__name__=\"up\"") != std::string::npos);
  CHECK(prom.Stop());
}
