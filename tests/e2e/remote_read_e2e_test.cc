// Real Prometheus 2.42 reading from strata-select over remote_read: data written
// to Strata through insert (never scraped by that Prometheus) answers a query on
// Prometheus' own /api/v1/query and /api/v1/query_range.
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "libs/http/url.h"
#include "libs/ingest/remote_write_encoder.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

}  // namespace

TEST_CASE("Prometheus 2.42 remote_reads series stored only in Strata") {
  REQUIRE(access(kPrometheus, X_OK) == 0);  // installed by tools/deps.sh --e2e
  ReplicatedCluster cl;
  REQUIRE(cl.Start().ok());
  const InsertProcess& insert = cl.insert;
  const SelectProcess& select = cl.select;

  const int64_t t0 = (NowMs() / 1000 - 300) * 1000;
  std::vector<ingest::WriteRequestSeries> series;
  for (int i = 0; i < 3; ++i) {
    ingest::WriteRequestSeries s{{{"__name__", "strata_remote_only_total"}, {"job", "rr"},
                                  {"instance", "h" + std::to_string(i)}},
                                 {}};
    for (int k = 0; k <= 20; ++k) s.samples.push_back({t0 + k * 10'000, double(k * (i + 1))});
    series.push_back(s);
  }
  {
    http::HttpClient c("127.0.0.1", insert.http_port);
    auto r = c.Post("/api/v1/write", ingest::EncodeWriteRequest(series), "application/x-protobuf",
                    {{"Content-Encoding", "snappy"}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 204);
  }

  TempDir prom_dir;
  const int prom_port = FreePort();
  {
    std::ofstream cfg(prom_dir.path() + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 15s\n"
        << "remote_read:\n  - url: http://127.0.0.1:" << select.http_port << "/api/v1/read\n"
        << "    read_recent: true\n";
  }
  ServiceProcess prom(kPrometheus,
                      {"--config.file=" + prom_dir.path() + "/prometheus.yml",
                       "--storage.tsdb.path=" + prom_dir.path() + "/data",
                       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                      prom_port, "/-/ready");
  REQUIRE(prom.Start(60).ok());

  http::HttpClient client("127.0.0.1", prom_port);
  const std::string at = std::to_string((t0 + 200'000) / 1000);
  auto r = client.Get("/api/v1/query?query=" + http::UrlEncode("sum(strata_remote_only_total)") + "&time=" + at);
  REQUIRE(r.ok());
  INFO(r->body << "\nselect log: " << select.proc->log_path());
  CHECK(r->status == 200);
  // k = 20 at t0+200s: 20*1 + 20*2 + 20*3.
  CHECK(r->body == "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[" +
                       at + ",\"120\"]}]}}");

  r = client.Get("/api/v1/query_range?query=" +
                 http::UrlEncode("rate(strata_remote_only_total{instance=\"h1\"}[1m])") + "&start=" +
                 std::to_string(t0 / 1000 + 60) + "&end=" + std::to_string(t0 / 1000 + 120) + "&step=30");
  REQUIRE(r.ok());
  INFO(r->body);
  CHECK(r->status == 200);
  // h1 grows by 2 every 10 s: 0.2/s, three steps.
  CHECK(r->body.find("\"metric\":{\"instance\":\"h1\",\"job\":\"rr\"}") != std::string::npos);
  CHECK(r->body.find("[" + std::to_string(t0 / 1000 + 60) + ",\"0.2\"],[" + std::to_string(t0 / 1000 + 90) +
                     ",\"0.2\"],[" + std::to_string(t0 / 1000 + 120) + ",\"0.2\"]") != std::string::npos);

  r = client.Get("/api/v1/series?match[]=" + http::UrlEncode("{job=\"rr\"}") + "&start=" +
                 std::to_string(t0 / 1000) + "&end=" + at);
  REQUIRE(r.ok());
  CHECK(r->body.find("\"instance\":\"h2\"") != std::string::npos);
  CHECK(prom.Stop());
}
