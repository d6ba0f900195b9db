// vmalert (VictoriaMetrics 1.79.5, Debian package) evaluates a recording rule and
// an alerting rule against strata-select (-datasource.url) and writes the results
// back through strata-insert (-remoteWrite.url); the recorded series and the
// ALERTS / ALERTS_FOR_STATE series must then be queryable through select.
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "tests/e2e/real_clients.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

TEST_CASE("vmalert evaluates rules against select and writes results through insert") {
  REQUIRE(access(kVmalertBin, X_OK) == 0);  // tools/deps.sh --e2e (victoria-metrics)
  StorageNodeProcess a, b;
  std::vector<StorageNodeProcess*> nodes = {&a, &b};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2"});
  SelectProcess select(nodes, {"--replication-factor=2"});
  REQUIRE(insert.proc->Start().ok());
  REQUIRE(select.proc->Start().ok());

  // Input: two rooms, one above the alert's threshold, a sample a second for the
  // last minute (well inside the 5 m lookback while the test runs).
  const int64_t now = NowMs();
  std::string body;
  for (int64_t t = now - 60'000; t <= now; t += 1000) {
    body += "e2e_room_temperature{room=\"kitchen\"} 31 " + std::to_string(t) + "\n";
    body += "e2e_room_temperature{room=\"cellar\"} 12 " + std::to_string(t) + "\n";
  }
  http::HttpClient in("127.0.0.1", insert.http_port);
  auto w = in.Post("/api/v1/import/prometheus", body, "text/plain");
  REQUIRE(w.ok());
  REQUIRE(w->status / 100 == 2);
  REQUIRE(WaitForSeries(select.http_port, "e2e_room_temperature", 2, 30).ok());

  TempDir dir;
  {
    std::ofstream rules(dir.path() + "/rules.yml");
    rules << "groups:\n"
          << "  - name: e2e\n    interval: 1s\n    rules:\n"
          << "      - record: e2e:room_temperature:max\n        expr: max(e2e_room_temperature)\n"
          << "      - alert: RoomTooHot\n        expr: e2e_room_temperature > 25\n"
          << "        for: 2s\n"  // pending first, then firing; ALERTS_FOR_STATE needs a `for`
          << "        labels:\n          severity: page\n"
          << "        annotations:\n          summary: 'room {{ $labels.room }} at {{ $value }}'\n";
  }
  const int port = FreePort();
  // No Alertmanager runs: notifications to this closed port fail (and are only
  // logged); the ALERTS series are written regardless.
  const int no_alertmanager = FreePort();
  ServiceProcess vmalert(kVmalertBin,
                         {"-rule=" + dir.path() + "/rules.yml",
                          "-datasource.url=http://127.0.0.1:" + std::to_string(select.http_port),
                          "-remoteWrite.url=http://127.0.0.1:" + std::to_string(insert.http_port),
                          "-remoteWrite.flushInterval=1s",
                          "-notifier.url=http://127.0.0.1:" + std::to_string(no_alertmanager),
                          "-evaluationInterval=1s",
                          "-httpListenAddr=127.0.0.1:" + std::to_string(port)},
                         port, "/health");
  REQUIRE(vmalert.Start(60).ok());
  INFO("vmalert log " << vmalert.log_path() << ", select log " << select.proc->log_path());

  auto recorded = WaitForSeries(select.http_port, "e2e:room_temperature:max", 1, 60);
  REQUIRE(recorded.ok());
  REQUIRE(recorded->size() == 1);
  CHECK(recorded->begin()->first == "{__name__=\"e2e:room_temperature:max\"}");
  CHECK(recorded->begin()->second.at(0).value == "31");

  auto alerts = WaitForSeries(select.http_port, "ALERTS{alertname=\"RoomTooHot\",alertstate=\"firing\"}", 1, 60);
  REQUIRE(alerts.ok());
  REQUIRE(alerts->size() == 1);  // the cellar is below the threshold
  const std::string key = alerts->begin()->first;
  CHECK(key.find("room=\"kitchen\"") != std::string::npos);
  CHECK(key.find("severity=\"page\"") != std::string::npos);
  CHECK(alerts->begin()->second.at(0).value == "1");

  auto for_state = WaitForSeries(select.http_port, "ALERTS_FOR_STATE{alertname=\"RoomTooHot\"}", 1, 30);
  REQUIRE(for_state.ok());
  CHECK(for_state->size() == 1);
  CHECK(vmalert.Stop());
}
