// strata-select's api/v1/status/tsdb and remote_read api/v1/read over a real
// cluster (3 storage nodes, RF=2, written through strata-insert).
#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "libs/ingest/remote_write.h"
#include "libs/ingest/remote_write_encoder.h"
#include "services/select/remote_read.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

struct Cluster : ReplicatedCluster {
  Cluster() { REQUIRE(Start().ok()); }
  void Write(const std::vector<ingest::WriteRequestSeries>& series, const std::string& tenant = "0") {
    http::HttpClient c("127.0.0.1", insert.http_port);
    auto r = c.Post("/insert/" + tenant + "/prometheus/api/v1/write", ingest::EncodeWriteRequest(series),
                    "application/x-protobuf", {{"Content-Encoding", "snappy"}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 204);
  }
  std::string Get(const std::string& target, int* status = nullptr) {
    http::HttpClient c("127.0.0.1", select.http_port);
    auto r = c.Get(target);
    REQUIRE(r.ok());
    if (status != nullptr) *status = r->status;
    return r->body;
  }
};

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, std::move(n), std::move(v)); }

}  // namespace

TEST_CASE("select status/tsdb and remote_read over 3 nodes with RF=2") {
  Cluster cl;
  const int64_t t0 = (NowMs() / 1000 - 600) * 1000;
  std::vector<ingest::WriteRequestSeries> series;
  for (int i = 0; i < 12; ++i) {
    ingest::WriteRequestSeries s{{{"__name__", i < 9 ? "req_total" : "errors_total"},
                                  {"job", i % 3 == 0 ? "api" : "web"},
                                  {"instance", "host" + std::to_string(i)}},
                                 {}};
    for (int k = 0; k < 10; ++k) s.samples.push_back({t0 + k * 15'000, double(k * (i + 1))});
    series.push_back(s);
  }
  cl.Write(series);
  cl.Write({{{{"__name__", "other_tenant_only"}, {"job", "x"}}, {{t0, 1}}}}, "7");

  SECTION("status/tsdb counts each series once although it lives on two nodes") {
    int status = 0;
    std::string body = cl.Get("/api/v1/status/tsdb", &status);
    INFO(body);
    CHECK(status == 200);
    CHECK(body.find(R"({"status":"success","data":{"headStats":{"numSeries":12,)") == 0);
    CHECK(body.find(R"("seriesCountByMetricName":[{"name":"req_total","value":9},{"name":"errors_total","value":3}])") !=
          std::string::npos);
    CHECK(body.find(R"({"name":"instance","value":12})") != std::string::npos);
    CHECK(body.find(R"("memoryInBytesByLabelName":[])") != std::string::npos);
    CHECK(body.find(R"({"name":"job=web","value":8})") != std::string::npos);
    CHECK(body.find("other_tenant_only") == std::string::npos);

    body = cl.Get("/api/v1/status/tsdb?topN=1");
    CHECK(body.find(R"("seriesCountByMetricName":[{"name":"req_total","value":9}])") != std::string::npos);
    body = cl.Get("/api/v1/status/tsdb?match[]=errors_total");
    CHECK(body.find(R"("numSeries":3,)") != std::string::npos);
    CHECK(body.find(R"("labelValueCountByLabelName":[{"name":"instance","value":3},)") != std::string::npos);
    body = cl.Get("/api/v1/status/tsdb?date=2000-01-01");
    CHECK(body.find(R"("numSeries":0,)") != std::string::npos);
    body = cl.Get("/select/7/prometheus/api/v1/status/tsdb");
    CHECK(body.find(R"("numSeries":1,)") != std::string::npos);
    CHECK(body.find("other_tenant_only") != std::string::npos);
    body = cl.Get("/api/v1/status/tsdb?topN=abc", &status);
    CHECK(status == 400);
    CHECK(body.find(R"("errorType":"bad_data")") != std::string::npos);
  }

  SECTION("remote_read answers SAMPLES per query, deduplicated across replicas") {
    std::vector<ReadQuery> qs(2);
    qs[0].start_ms = t0 + 15'000;
    qs[0].end_ms = t0 + 60'000;
    qs[0].matchers = {M(MatchType::kEqual, "__name__", "req_total"), M(MatchType::kRegexMatch, "instance", "host[12]")};
    qs[1].start_ms = t0;
    qs[1].end_ms = t0 + 600'000;
    qs[1].matchers = {M(MatchType::kEqual, "__name__", "other_tenant_only")};
    http::HttpClient c("127.0.0.1", cl.select.http_port);
    auto r = c.Post("/api/v1/read", ingest::SnappyCompress(EncodeReadRequest(qs)), "application/x-protobuf",
                    {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Read-Version", "0.1.0"}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    CHECK(r->Header("Content-Encoding") == "snappy");
    CHECK(r->Header("Content-Type") == "application/x-protobuf");
    auto raw = ingest::SnappyDecompress(r->body, 1 << 20);
    REQUIRE(raw.ok());
    auto results = DecodeReadResponse(*raw);
    REQUIRE(results.ok());
    REQUIRE(results->size() == 2);
    CHECK((*results)[1].empty());  // tenant 7's series is not visible to tenant 0
    const ReadResult& res = (*results)[0];
    REQUIRE(res.size() == 2);
    for (size_t j = 0; j < 2; ++j) {
      const int i = int(j) + 1;
      CHECK(res[j].first.Get("instance") == "host" + std::to_string(i));
      REQUIRE(res[j].second.size() == 4);  // k = 1..4, inclusive range, one copy each
      for (int k = 1; k <= 4; ++k) {
        CHECK(res[j].second[k - 1].t == t0 + k * 15'000);
        CHECK(res[j].second[k - 1].v == double(k * (i + 1)));
      }
    }

    auto bad = c.Post("/api/v1/read", "not snappy at all", "application/x-protobuf", {});
    REQUIRE(bad.ok());
    CHECK(bad->status == 400);
    auto get = c.Get("/api/v1/read");
    REQUIRE(get.ok());
    CHECK(get->status == 405);
  }
}
