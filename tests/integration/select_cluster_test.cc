// strata-select over real storage nodes (written through strata-insert): the
// Prometheus API, partial answers when nodes die, HA-pair dedup, tenants, export
// round trip, error shapes.
#include <atomic>
#include <thread>
#include <signal.h>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "libs/http/url.h"
#include "libs/ingest/remote_write_encoder.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

http::HeaderList RemoteWriteHeaders() {
  return {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
}

std::string Get(int port, const std::string& target, int* status = nullptr) {
  http::HttpClient c("127.0.0.1", port);
  auto r = c.Get(target);
  REQUIRE(r.ok());
  if (status != nullptr) *status = r->status;
  return r->body;
}

std::string Q(const std::string& s) { return http::UrlEncode(s); }

struct Cluster : ReplicatedCluster {
  explicit Cluster(std::vector<std::string> insert_args = {}, std::vector<std::string> select_args = {})
      : ReplicatedCluster(std::move(insert_args), std::move(select_args)) {
    REQUIRE(Start().ok());
  }
  void Write(const std::vector<ingest::WriteRequestSeries>& series, const std::string& tenant = "0") {
    http::HttpClient c("127.0.0.1", insert.http_port);
    auto r = c.Post("/insert/" + tenant + "/prometheus/api/v1/write", ingest::EncodeWriteRequest(series),
                    "application/x-protobuf", RemoteWriteHeaders());
    REQUIRE(r.ok());
    REQUIRE(r->status == 204);
  }
};

}  // namespace

TEST_CASE("select answers the Prometheus API over the cluster and survives node loss") {
  Cluster cl;
  const int64_t t0 = (NowMs() / 1000 - 600) * 1000;  // whole seconds, 10 min ago
  std::vector<ingest::WriteRequestSeries> series;
  for (int i = 0; i < 20; ++i) {
    ingest::WriteRequestSeries s{{{"__name__", "http_requests_total"}, {"job", i < 10 ? "api" : "web"},
                                  {"instance", "host" + std::to_string(i)}},
                                 {}};
    for (int k = 0; k <= 40; ++k) s.samples.push_back({t0 + k * 15'000, double(k * (i + 1))});
    series.push_back(s);
  }
  cl.Write(series);
  const std::string at = std::to_string((t0 + 600'000) / 1000);
  const int port = cl.select.http_port;

  std::string body = Get(port, "/api/v1/query?query=" + Q("sum by (job) (http_requests_total)") + "&time=" + at);
  // job=api: sum_{i=1..10} 40*i = 2200; job=web: sum_{i=11..20} 40*i = 6200.
  CHECK(body == "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                "{\"metric\":{\"job\":\"api\"},\"value\":[" + at + ",\"2200\"]},"
                "{\"metric\":{\"job\":\"web\"},\"value\":[" + at + ",\"6200\"]}]}}");
  body = Get(port, "/api/v1/query?query=" + Q("rate(http_requests_total{instance=\"host0\"}[5m])") + "&time=" + at);
  CHECK(body.find("\"value\":[" + at + ",\"0.06666666666666667\"]") != std::string::npos);
  body = Get(port, "/api/v1/query_range?query=" + Q("count(http_requests_total)") + "&start=" +
                       std::to_string(t0 / 1000) + "&end=" + at + "&step=60");
  CHECK(body.find("\"resultType\":\"matrix\"") != std::string::npos);
  CHECK(body.find("[" + at + ",\"20\"]") != std::string::npos);
  body = Get(port, "/api/v1/series?match[]=" + Q("http_requests_total{job=\"web\",instance=~\"host1[0-2]\"}"));
  CHECK(body.find("host10") != std::string::npos);
  CHECK(body.find("host13") == std::string::npos);
  CHECK(Get(port, "/api/v1/labels") == R"({"status":"success","data":["__name__","instance","job"]})");
  CHECK(Get(port, "/api/v1/label/job/values") == R"({"status":"success","data":["api","web"]})");
  CHECK(Get(port, "/api/v1/status/buildinfo").find("\"version\":\"2.42.0\"") != std::string::npos);

  // Enough series (each from 2 replicas) that select merges and joins them in
  // parallel pieces: a piece boundary inside a pair of replicas would count twice.
  {
    std::vector<ingest::WriteRequestSeries> many;
    // 20 001 series, 40 002 copies: the middle of them falls inside a pair.
    for (int i = 0; i <= 20'000; ++i) {
      many.push_back({{{"__name__", "many"}, {"i", std::to_string(i)}}, {{t0, double(i)}}});
    }
    for (size_t b = 0; b < many.size(); b += 5'000) {
      cl.Write(std::vector<ingest::WriteRequestSeries>(many.begin() + b,
                                                       many.begin() + std::min(many.size(), b + 5'000)));
    }
    const std::string when = std::to_string(t0 / 1000 + 60);
    body = Get(port, "/api/v1/query?query=" + Q("count(many)") + "&time=" + when);
    CHECK(body.find("\"value\":[" + when + ",\"20001\"]") != std::string::npos);
    body = Get(port, "/api/v1/query?query=" + Q("sum(many)") + "&time=" + when);
    CHECK(body.find("\"value\":[" + when + ",\"200010000\"]") != std::string::npos);
  }

  // A sparse series in a block that straddles the query's range: select decodes it
  // to see whether any sample falls inside (samples are otherwise decoded lazily).
  cl.Write({{{{"__name__", "sparse"}}, {{t0, 1}, {t0 + 200'000, 2}, {t0 + 600'000, 3}}}});
  for (StorageNodeProcess* n : {&cl.a, &cl.b, &cl.c}) {
    http::HttpClient admin("127.0.0.1", n->http_port);
    REQUIRE(admin.Post("/internal/force_flush", "", "text/plain")->status == 200);
  }
  const std::string mid = std::to_string((t0 + 450'000) / 1000);
  body = Get(port, "/api/v1/query?query=sparse&time=" + mid);
  CHECK(body.find("\"value\":[" + mid + ",\"2\"]") != std::string::npos);
  body = Get(port, "/api/v1/query?query=" + Q("count_over_time(sparse[1m])") + "&time=" + mid);
  CHECK(body.find("\"result\":[]") != std::string::npos);
  body = Get(port, "/api/v1/query?query=" + Q("count_over_time(sparse[5m])") + "&time=" + mid);
  CHECK(body.find("\"value\":[" + mid + ",\"1\"]") != std::string::npos);

  // Errors, shaped as Prometheus shapes them.
  int status = 0;
  body = Get(port, "/api/v1/query?query=" + Q("sum(") , &status);
  CHECK(status == 400);
  CHECK(body.find(R"("errorType":"bad_data","error":"invalid parameter \"query\": )") != std::string::npos);
  body = Get(port, "/api/v1/query?query=up&time=notatime", &status);
  CHECK(status == 400);
  CHECK(body == R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"notatime\" to a valid timestamp"})");
  body = Get(port, "/api/v1/query?query=" + Q("nosuchfunc(up)"), &status);
  CHECK(status == 400);
  CHECK(body.find("unknown function with name \\\"nosuchfunc\\\"") != std::string::npos);

  // Export from tenant 0, import into tenant 5 through insert: identical answers.
  std::string exported = Get(port, "/api/v1/export?match[]=" + Q("http_requests_total"));
  CHECK(std::count(exported.begin(), exported.end(), '\n') == 20);
  {
    http::HttpClient c("127.0.0.1", cl.insert.http_port);
    REQUIRE(c.Post("/insert/5/prometheus/api/v1/import", exported, "application/json")->status == 204);
  }
  std::string q = "/prometheus/api/v1/query?query=" + Q("sum by (job) (http_requests_total)") + "&time=" + at;
  CHECK(Get(port, "/select/5" + q) == Get(port, "/select/0" + q));
  CHECK(Get(port, "/select/7" + q).find("\"result\":[]") != std::string::npos);  // tenants isolated

  // One node down with RF=2: still complete, not partial.
  cl.b.proc->Kill(SIGKILL);
  body = Get(port, "/api/v1/query?query=" + Q("count(http_requests_total)") + "&time=" + at, &status);
  CHECK(status == 200);
  CHECK(body.find("isPartial") == std::string::npos);
  CHECK(body.find(",\"20\"]") != std::string::npos);
  // Two down: partial with a warning naming a node, or 503 when denied.
  cl.c.proc->Kill(SIGKILL);
  body = Get(port, "/api/v1/query?query=" + Q("count(http_requests_total)") + "&time=" + at, &status);
  CHECK(status == 200);
  CHECK(body.find("\"isPartial\":true") != std::string::npos);
  CHECK(body.find("storage node 127.0.0.1:") != std::string::npos);
  body = Get(port, "/api/v1/query?query=" + Q("count(http_requests_total)") + "&time=" + at +
                       "&deny_partial_response=1", &status);
  CHECK(status == 503);
  CHECK(body.find("\"errorType\":\"unavailable\"") != std::string::npos);
  // The failed fan-out calls are counted per node, failed queries by errorType.
  std::string metrics = Get(port, "/metrics");
  CHECK(metrics.find("strata_select_query_errors_total{endpoint=\"api/v1/query\",type=\"bad_data\"} 3") !=
        std::string::npos);
  CHECK(metrics.find("strata_select_query_errors_total{endpoint=\"api/v1/query\",type=\"unavailable\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("strata_select_storage_errors_total{node=\"" + cl.c.grpc_address() + "\"") != std::string::npos);
  CHECK(metrics.find("strata_select_storage_duration_seconds_bucket{node=\"" + cl.a.grpc_address()) !=
        std::string::npos);
}

TEST_CASE("an HA Prometheus pair is deduplicated by --ha-replica-label and --dedup-interval") {
  Cluster cl({"--ha-replica-label=replica"}, {"--dedup-interval=15s"});
  const int64_t t0 = (NowMs() / 60'000 - 20) * 60'000;  // a minute boundary, 20 min ago
  std::vector<ingest::WriteRequestSeries> r1, r2;
  ingest::WriteRequestSeries a{{{"__name__", "node_load1"}, {"instance", "n1"}, {"replica", "a"}}, {}};
  ingest::WriteRequestSeries b{{{"__name__", "node_load1"}, {"instance", "n1"}, {"replica", "b"}}, {}};
  for (int k = 0; k < 40; ++k) {
    a.samples.push_back({t0 + k * 15'000 + 1'000, 1.0 + k});
    b.samples.push_back({t0 + k * 15'000 + 4'000, 1.5 + k});
  }
  cl.Write({a});
  cl.Write({b});
  const int port = cl.select.http_port;
  std::string body = Get(port, "/api/v1/series?match[]=node_load1");
  CHECK(body == R"({"status":"success","data":[{"__name__":"node_load1","instance":"n1"}]})");
  body = Get(port, "/api/v1/query?query=" + Q("count_over_time(node_load1[10m])") + "&time=" +
                       std::to_string((t0 + 600'000) / 1000));
  // 10 min window of 15 s buckets: 40 buckets, one sample each (not 80).
  CHECK(body.find(",\"40\"]") != std::string::npos);
}

// Every limit of strata-select refuses with an error that names it and the flag that
// raises it; a request's timeout lowers --search-max-query-duration.
TEST_CASE("select limits: each refusal names its limit and the flag to raise it") {
  Cluster cl;
  const int64_t t0 = (NowMs() / 1000 - 600) * 1000;
  std::vector<ingest::WriteRequestSeries> series;
  for (int i = 0; i < 5; ++i) {
    ingest::WriteRequestSeries s{{{"__name__", "lim"}, {"i", std::to_string(i)}}, {}};
    for (int k = 0; k < 20; ++k) s.samples.push_back({t0 + k * 15'000, double(k)});
    series.push_back(s);
  }
  cl.Write(series);
  const std::string at = std::to_string((t0 + 300'000) / 1000);
  SelectProcess limited(cl.nodes, {"--replication-factor=2", "--search-max-series=3",
                                   "--search-max-samples-per-query=50", "--search-max-query-len=64",
                                   "--search-max-query-duration=20s"});
  REQUIRE(limited.proc->Start().ok());
  const int port = limited.http_port;
  int status = 0;

  // Within every limit.
  std::string body = Get(port, "/api/v1/query?query=" + Q("count(lim{i=~\"0|1|2\"})") + "&time=" + at, &status);
  CHECK(status == 200);
  CHECK(body.find("\"3\"]") != std::string::npos);

  body = Get(port, "/api/v1/query?query=" + Q("count(lim)") + "&time=" + at, &status);
  CHECK(status == 422);
  CHECK(body.find("\"errorType\":\"execution\"") != std::string::npos);
  CHECK(body.find("--search-max-series") != std::string::npos);

  // 3 series x 20 samples in memory at once: above 50.
  body = Get(port, "/api/v1/query?query=" + Q("lim{i=~\"0|1|2\"}[10m]") + "&time=" + at, &status);
  CHECK(status == 422);
  CHECK(body.find("too many samples") != std::string::npos);
  CHECK(body.find("--search-max-samples-per-query=50") != std::string::npos);

  body = Get(port, "/api/v1/query?query=" + Q("sum(lim{i=\"0\"}) + sum(lim{i=\"1\"}) + sum(lim{i=\"2\"}) + sum(lim{i=\"3\"}) + 1") +
                       "&time=" + at,
             &status);
  CHECK(status == 400);
  CHECK(body.find("\"errorType\":\"bad_data\"") != std::string::npos);
  CHECK(body.find("--search-max-query-len") != std::string::npos);

  // A subquery of 1 ms steps over an hour is millions of evaluations: far more than
  // a 1 ms timeout (on the select without the samples limit).
  const std::string slow = "/api/v1/query?query=" + Q("count_over_time(lim{i=\"0\"}[1h:1ms])") + "&time=" + at;
  body = Get(cl.select.http_port, slow + "&timeout=0.001", &status);
  CHECK(status == 503);
  CHECK(body.find("\"errorType\":\"timeout\"") != std::string::npos);
  CHECK(body.find("timeout parameter") != std::string::npos);
  SelectProcess hurried(cl.nodes, {"--replication-factor=2", "--search-max-query-duration=1ms"});
  REQUIRE(hurried.proc->Start().ok());
  body = Get(hurried.http_port, slow, &status);
  CHECK(status == 503);
  CHECK(body.find("\"errorType\":\"timeout\"") != std::string::npos);
  CHECK(body.find("--search-max-query-duration") != std::string::npos);
  // A request's timeout cannot raise the flag's limit.
  body = Get(hurried.http_port, slow + "&timeout=60s", &status);
  CHECK(status == 503);
  CHECK(body.find("--search-max-query-duration") != std::string::npos);
}

TEST_CASE("select limits: a query that finds every slot taken past the queue wait gets 503 naming both flags") {
  Cluster cl;
  const int64_t t0 = (NowMs() / 1000 - 600) * 1000;
  std::vector<ingest::WriteRequestSeries> series = {{{{"__name__", "lim"}, {"i", "0"}}, {}}};
  for (int k = 0; k < 20; ++k) series[0].samples.push_back({t0 + k * 15'000, double(k)});
  cl.Write(series);
  const std::string at = std::to_string((t0 + 300'000) / 1000);
  SelectProcess one(cl.nodes, {"--replication-factor=2", "--search-max-concurrent-requests=1",
                               "--search-max-queue-duration=1ms"});
  REQUIRE(one.proc->Start().ok());
  // A slow query holds the only slot (millions of subquery steps) while quick ones
  // keep arriving; at least one of those must be refused while it runs.
  const std::string slow = "/api/v1/query?query=" + Q("count_over_time(lim[1h:1ms])") + "&time=" + at;
  const std::string quick = "/api/v1/query?query=lim&time=" + at;
  std::string refused;
  for (int attempt = 0; attempt < 5 && refused.empty(); ++attempt) {
    std::atomic<bool> done{false};
    std::thread t([&] {  // no REQUIRE off the test's thread
      http::HttpClient c("127.0.0.1", one.http_port);
      (void)c.Get(slow);
      done = true;
    });
    while (!done && refused.empty()) {
      int status = 0;
      std::string body = Get(one.http_port, quick, &status);
      if (status == 503) refused = body;
    }
    t.join();  // the slow query may itself have been refused: then try again
  }
  CHECK(refused.find("\"errorType\":\"unavailable\"") != std::string::npos);
  CHECK(refused.find("--search-max-concurrent-requests") != std::string::npos);
  CHECK(refused.find("--search-max-queue-duration") != std::string::npos);
  // The slot is free again.
  int status = 0;
  Get(one.http_port, quick, &status);
  CHECK(status == 200);
}
