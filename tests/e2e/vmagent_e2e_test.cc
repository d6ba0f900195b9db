// vmagent (VictoriaMetrics 1.79.5, Debian package) scrapes a real
// prometheus-node-exporter and remote_writes through strata-insert (RF=2 over 2
// storage nodes); every metric name of the exporter's own /metrics page must then
// be queryable through strata-select under the scrape's job and instance labels.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "tests/e2e/real_clients.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

// Metric names of a text-exposition page (comment lines skipped).
std::set<std::string> NamesOnPage(const std::string& page) {
  std::set<std::string> names;
  size_t pos = 0;
  while (pos < page.size()) {
    size_t end = page.find('\n', pos);
    if (end == std::string::npos) end = page.size();
    std::string line = page.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

}  // namespace

TEST_CASE("vmagent scrapes node-exporter and remote_writes through insert, select serves its series") {
  REQUIRE(access(kVmagentBin, X_OK) == 0);       // tools/deps.sh --e2e (victoria-metrics)
  REQUIRE(access(kNodeExporterBin, X_OK) == 0);  // tools/deps.sh --e2e
  StorageNodeProcess a, b;
  std::vector<StorageNodeProcess*> nodes = {&a, &b};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2"});
  SelectProcess select(nodes, {"--replication-factor=2"});
  REQUIRE(insert.proc->Start().ok());
  REQUIRE(select.proc->Start().ok());
  NodeExporter exporter;
  REQUIRE(exporter.proc.Start(30).ok());

  TempDir dir;
  {
    std::ofstream cfg(dir.path() + "/scrape.yml");
    cfg << "global:\n  scrape_interval: 2s\n"
        << "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['" << exporter.target()
        << "']\n";
  }
  const int vm_port = FreePort();
  ServiceProcess vmagent(kVmagentBin,
                         {"-promscrape.config=" + dir.path() + "/scrape.yml",
                          "-remoteWrite.url=http://127.0.0.1:" + std::to_string(insert.http_port) + "/api/v1/write",
                          "-remoteWrite.tmpDataPath=" + dir.path() + "/vmagent-queue",
                          "-remoteWrite.flushInterval=1s",
                          "-httpListenAddr=127.0.0.1:" + std::to_string(vm_port)},
                         vm_port, "/health");
  REQUIRE(vmagent.Start(60).ok());
  INFO("vmagent log " << vmagent.log_path() << ", insert log " << insert.proc->log_path());

  auto up = WaitForSeries(select.http_port, "up{job=\"node\",instance=\"" + exporter.target() + "\"}", 1, 60);
  REQUIRE(up.ok());
  REQUIRE(up->size() == 1);
  CHECK(up->begin()->second.at(0).value == "1");

  // Two more scrapes, then every name the exporter exposes is in select.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  auto page = http::HttpGet("http://" + exporter.target() + "/metrics");
  REQUIRE(page.ok());
  const std::set<std::string> exposed = NamesOnPage(page->body);
  CHECK(exposed.size() > 50);
  auto by_name = QueryApi(select.http_port, "count by (__name__) ({job=\"node\"})");
  REQUIRE(by_name.ok());
  std::set<std::string> stored;
  for (const auto& [key, samples] : *by_name) {
    // key is {__name__="x"}
    stored.insert(key.substr(std::string("{__name__=\"").size(), key.size() - std::string("{__name__=\"").size() - 2));
  }
  std::vector<std::string> missing;
  for (const auto& n : exposed) {
    if (!stored.count(n)) missing.push_back(n);
  }
  INFO("first missing: " << (missing.empty() ? "" : missing.front()));
  CHECK(missing.empty());
  // vmagent's own scrape bookkeeping series arrive too.
  auto samples = QueryApi(select.http_port, "scrape_samples_scraped{job=\"node\"}");
  REQUIRE(samples.ok());
  REQUIRE(samples->size() == 1);
  CHECK(std::stod(samples->begin()->second.at(0).value) >= static_cast<double>(exposed.size()));
  CHECK(vmagent.Stop());
}
