// A Prometheus HA pair against a Strata cluster: two real Prometheus 2.42
// replicas, identical but for a `replica` external label, scrape one
// prometheus-node-exporter (and themselves) and remote_write through strata-insert
// with --ha-replica-label=replica; strata-select with --dedup-interval equal to the
// scrape interval must answer one copy of every series, without the `replica` label,
// whose samples are those a replica holds (compared through both query APIs), and
// keep coming from the other member when one stops.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/e2e/real_clients.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

constexpr int kScrapeSeconds = 2;

struct PrometheusReplica {
  PrometheusReplica(const std::string& replica, const std::string& exporter, int insert_port) : port(FreePort()) {
    std::ofstream cfg(dir.path() + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: " << kScrapeSeconds << "s\n  evaluation_interval: " << kScrapeSeconds
        << "s\n  external_labels:\n    cluster: ha\n    replica: " << replica << "\n"
        << "scrape_configs:\n"
        << "  - job_name: node\n    static_configs:\n      - targets: ['" << exporter << "']\n"
        << "  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:" << port << "']\n"
        << "remote_write:\n  - url: http://127.0.0.1:" << insert_port << "/api/v1/write\n"
        << "    queue_config:\n      batch_send_deadline: 1s\n      max_samples_per_send: 1000\n";
    cfg.close();
    proc = std::make_unique<ServiceProcess>(
        kPrometheusBin,
        std::vector<std::string>{"--config.file=" + dir.path() + "/prometheus.yml",
                                 "--storage.tsdb.path=" + dir.path() + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        port, "/-/ready");
  }
  TempDir dir;
  int port;
  std::unique_ptr<ServiceProcess> proc;
};

std::set<std::string> Keys(const ApiSeries& s) {
  std::set<std::string> out;
  for (const auto& [k, v] : s) out.insert(k);
  return out;
}

// Keys of select's answer as a replica's own API would write them: Prometheus adds
// external labels only to what it sends, so drop the pair's shared `cluster="ha"`
// (and count the series that lacked it).
std::set<std::string> KeysAsReplicaSees(const ApiSeries& s, size_t* without_cluster) {
  const std::string pair = ", cluster=\"ha\"";
  std::set<std::string> out;
  for (const auto& [k, v] : s) {
    std::string key = k;
    size_t at = key.find(pair);
    if (at == std::string::npos) {
      ++*without_cluster;
    } else {
      key.erase(at, pair.size());
    }
    out.insert(key);
  }
  return out;
}

}  // namespace

TEST_CASE("Prometheus HA pair through insert --ha-replica-label: select answers one deduplicated copy") {
  REQUIRE(access(kPrometheusBin, X_OK) == 0);    // tools/deps.sh --e2e
  REQUIRE(access(kNodeExporterBin, X_OK) == 0);  // tools/deps.sh --e2e
  StorageNodeProcess a, b;
  std::vector<StorageNodeProcess*> nodes = {&a, &b};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2", "--ha-replica-label=replica"});
  SelectProcess select(nodes, {"--replication-factor=2", "--dedup-interval=" + std::to_string(kScrapeSeconds) + "s"});
  REQUIRE(insert.proc->Start().ok());
  REQUIRE(select.proc->Start().ok());
  NodeExporter exporter;
  REQUIRE(exporter.proc.Start(30).ok());

  PrometheusReplica ra("A", exporter.target(), insert.http_port);
  PrometheusReplica rb("B", exporter.target(), insert.http_port);
  REQUIRE(ra.proc->Start(60).ok());
  REQUIRE(rb.proc->Start(60).ok());
  const auto started = std::chrono::steady_clock::now();

  // Both replicas' self-scrapes and the shared exporter's up series reach select.
  auto up = WaitForSeries(select.http_port, "up", 3, 90);
  INFO("insert log " << insert.proc->log_path() << ", select log " << select.proc->log_path());
  REQUIRE(up.ok());
  REQUIRE(up->size() == 3);  // node + 2 x prometheus: the shared target is not doubled

  // Let ~30 s of samples accumulate, then look at a window that both replicas have
  // certainly remote_written (batch_send_deadline 1 s, plus margin).
  std::this_thread::sleep_until(started + std::chrono::seconds(40));
  const double t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - 6;
  const std::string window = "[24s]";

  {  // no series keeps the replica label
    auto with_replica = QueryApi(select.http_port, "{replica!=\"\"}", t);
    REQUIRE(with_replica.ok());
    CHECK(with_replica->empty());
    for (const auto& key : Keys(*up)) {
      auto names = LabelNamesOf(key);
      CHECK(std::find(names.begin(), names.end(), "replica") == names.end());
    }
  }

  {  // select holds the exporter's series set exactly once
    auto sel = QueryApi(select.http_port, "{job=\"node\"}", t);
    auto pa = QueryApi(ra.port, "{job=\"node\"}", t);
    REQUIRE(sel.ok());
    REQUIRE(pa.ok());
    CHECK(sel->size() > 100);  // node_* and go_* series of the exporter
    size_t without_cluster = 0;
    CHECK(KeysAsReplicaSees(*sel, &without_cluster) == Keys(*pa));
    CHECK(without_cluster == 0);
    for (const auto& [k, samples] : *sel) CHECK(samples.size() == 1);
  }

  {  // deduplicated samples are the replicas' samples, about one per scrape interval
    for (const std::string q :
         {"up{job=\"node\"}", "node_load1", "node_memory_MemTotal_bytes", "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}",
          "scrape_samples_scraped{job=\"node\"}", "go_goroutines{job=\"node\"}"}) {
      INFO("query " << q << window);
      auto sel = QueryApi(select.http_port, q + window, t);
      auto pa = QueryApi(ra.port, q + window, t);
      auto pb = QueryApi(rb.port, q + window, t);
      REQUIRE(sel.ok());
      REQUIRE(pa.ok());
      REQUIRE(pb.ok());
      REQUIRE(sel->size() == 1);
      size_t without_cluster = 0;
      REQUIRE(KeysAsReplicaSees(*sel, &without_cluster) == Keys(*pa));
      REQUIRE(without_cluster == 0);
      REQUIRE(Keys(*pa) == Keys(*pb));
      const auto& s = sel->begin()->second;
      const auto& sa = pa->begin()->second;
      const auto& sb = pb->begin()->second;
      INFO("select " << s.size() << " samples, A " << sa.size() << ", B " << sb.size());
      CHECK(sa.size() >= 24 / kScrapeSeconds - 2);
      CHECK(sb.size() >= 24 / kScrapeSeconds - 2);
      // Without dedup select would hold |A| + |B| samples; with it, one per bucket.
      CHECK(s.size() + 1 >= std::min(sa.size(), sb.size()));
      CHECK(s.size() <= std::max(sa.size(), sb.size()) + 1);
      std::set<ApiSample> replicas(sa.begin(), sa.end());
      replicas.insert(sb.begin(), sb.end());
      size_t foreign = 0;
      for (const auto& x : s) foreign += replicas.count(x) == 0;
      CHECK(foreign == 0);
      // Consecutive samples lie about one interval apart: without dedup every pair of
      // replica copies would sit closer than that. A scrape delayed or missed under
      // load can make one close pair at a bucket edge; allow two.
      size_t close_pairs = 0;
      for (size_t i = 1; i < s.size(); ++i) {
        CHECK(s[i].t_ms > s[i - 1].t_ms);
        close_pairs += s[i].t_ms - s[i - 1].t_ms < kScrapeSeconds * 1000 / 2;
      }
      CHECK(close_pairs <= 2);
    }
  }

  {  // one member stops: the other's samples keep the series going
    CHECK(ra.proc->Stop());
    std::this_thread::sleep_for(std::chrono::seconds(12));
    const double t2 = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - 3;
    auto sel = QueryApi(select.http_port, "node_load1[8s]", t2);  // starts >= 1 s after A stopped
    auto pb = QueryApi(rb.port, "node_load1[8s]", t2);
    REQUIRE(sel.ok());
    REQUIRE(pb.ok());
    REQUIRE(sel->size() == 1);
    REQUIRE(pb->size() == 1);
    const auto& s = sel->begin()->second;
    const auto& sb = pb->begin()->second;
    INFO("after A stopped: select " << s.size() << " samples, B " << sb.size());
    CHECK(s.size() >= 2);
    CHECK(s.size() + 1 >= sb.size());  // B's newest may still be in its send queue
    std::set<ApiSample> from_b(sb.begin(), sb.end());
    for (const auto& x : s) CHECK(from_b.count(x) == 1);
  }
  CHECK(rb.proc->Stop());
}
