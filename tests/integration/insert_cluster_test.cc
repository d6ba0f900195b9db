// strata-insert in front of real storage nodes: replication and placement, the 2xx
// contract under a SIGKILLed node, 503 below --min-replicas, every protocol end to
// end, bad input answers, HA label dropping and tenants.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/cluster/rendezvous.h"
#include "libs/http/http_client.h"
#include "libs/ingest/remote_write_encoder.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

http::HeaderList RemoteWriteHeaders() {
  return {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
}

// Copies of each (series, timestamp) over all nodes.
std::map<std::pair<std::string, int64_t>, int> CountCopies(const std::vector<StorageNodeProcess*>& nodes,
                                                            const Matchers& ms, int64_t mint, int64_t maxt,
                                                            uint32_t account = 0) {
  std::map<std::pair<std::string, int64_t>, int> copies;
  for (auto* n : nodes) {
    for (auto& [series, samples] : SearchNode(n->stub.get(), ms, mint, maxt, account)) {
      for (const Sample& s : samples) copies[{series, s.t}]++;
    }
  }
  return copies;
}

}  // namespace

TEST_CASE("RF=2 over 3 nodes: placement follows the ring, SIGKILL mid-ingest loses no acknowledged copy") {
  StorageNodeProcess a, b, c;
  std::vector<StorageNodeProcess*> nodes = {&a, &b, &c};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2", "--storage-write-timeout=2s"});
  REQUIRE(insert.proc->Start().ok());

  const int64_t base = NowMs() - 300'000;
  std::mutex mu;
  std::set<std::pair<std::string, int64_t>> acked;
  std::atomic<int> ok_batches{0}, failed_batches{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int w = 0; w < 3; ++w) {
    senders.emplace_back([&, w] {
      http::HttpClient client("127.0.0.1", insert.http_port, absl::Seconds(10));
      for (int batch = 0; !stop && batch < 100000; ++batch) {
        std::vector<ingest::WriteRequestSeries> series;
        for (int s = 0; s < 50; ++s) {
          std::string id = "w" + std::to_string(w) + "-" + std::to_string(s);
          series.push_back({{{"__name__", "rw_test"}, {"id", id}}, {{base + batch * 10, double(batch)}}});
        }
        auto resp = client.Post("/insert/0/prometheus/api/v1/write", ingest::EncodeWriteRequest(series),
                                "application/x-protobuf", RemoteWriteHeaders());
        if (resp.ok() && resp->status == 204) {
          std::lock_guard<std::mutex> l(mu);
          for (auto& s : series) acked.insert({"rw_test{id=\"" + s.labels[1].value + "\"}", s.samples[0].t});
          ++ok_batches;
        } else {
          ++failed_batches;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  while (ok_batches < 60) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  b.proc->Kill(SIGKILL);
  int at_kill = ok_batches;
  // Ingestion goes on while b is down: its series are rerouted to the third node.
  while (ok_batches < at_kill + 60) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  for (auto& t : senders) t.join();
  REQUIRE(b.proc->Start().ok());

  auto copies = CountCopies(nodes, {Eq("__name__", "rw_test")}, base - 1000, base + 10'000'000);
  size_t missing = 0, short_copies = 0;
  for (auto& key : acked) {
    auto it = copies.find(key);
    if (it == copies.end()) {
      ++missing;
    } else if (it->second < 2) {
      ++short_copies;
    }
  }
  INFO("acked samples: " << acked.size() << ", failed batches: " << failed_batches);
  CHECK(acked.size() >= 6000);
  CHECK(missing == 0);
  CHECK(short_copies == 0);

  // Before the kill, each series lived exactly on its two ring owners.
  Rendezvous ring({a.grpc_address(), b.grpc_address(), c.grpc_address()});
  auto on_a = SearchNode(a.stub.get(), {Eq("__name__", "rw_test")}, base - 1000, base + 100);
  for (auto& [series, samples] : on_a) {
    std::string id = series.substr(series.find('"') + 1);
    id.pop_back();
    id.pop_back();
    auto labels = *Labels::FromPairs({{"__name__", "rw_test"}, {"id", id}});
    auto owners = ring.Rank(labels.Hash(), 2);
    CHECK((ring.nodes()[owners[0]] == a.grpc_address() || ring.nodes()[owners[1]] == a.grpc_address()));
  }
  http::HttpClient metrics("127.0.0.1", insert.http_port);
  const std::string body = metrics.Get("/metrics")->body;
  CHECK(body.find("strata_insert_rows_rerouted_total") != std::string::npos);
  // Batching across requests: every fragment went in some call, several may share one.
  auto value = [&](const std::string& name) {
    size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
  };
  const double calls = value("strata_insert_storage_write_calls_total");
  const double fragments = value("strata_insert_storage_write_fragments_total");
  INFO("calls " << calls << ", fragments " << fragments);
  CHECK(calls > 0);
  CHECK(fragments >= calls);
}

// Insert sends the rows of series a node acknowledged by series id (ADR 8). A node
// restarted with its data holds none of them for references until they come in full
// again: it refuses, insert resends in full, and every 204 still means stored.
TEST_CASE("a storage node restarted under ingest: rows sent by reference are resent in full, none lost") {
  StorageNodeProcess a;
  REQUIRE(a.proc->Start().ok());
  InsertProcess insert({&a}, {"--storage-write-timeout=2s"});
  REQUIRE(insert.proc->Start().ok());
  const int64_t base = NowMs() - 300'000;
  http::HttpClient client("127.0.0.1", insert.http_port, absl::Seconds(10));
  auto send = [&](int batch) {
    std::vector<ingest::WriteRequestSeries> series;
    for (int s = 0; s < 100; ++s) {
      series.push_back({{{"__name__", "ref_test"}, {"id", std::to_string(s)}}, {{base + batch * 1000, double(batch)}}});
    }
    auto resp = client.Post("/api/v1/write", ingest::EncodeWriteRequest(series), "application/x-protobuf",
                            RemoteWriteHeaders());
    return resp.ok() ? resp->status : -1;
  };
  auto metric = [](int port, const std::string& name) {
    http::HttpClient c("127.0.0.1", port);
    const std::string body = c.Get("/metrics")->body;
    size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
  };
  for (int b = 0; b < 20; ++b) REQUIRE(send(b) == 204);
  CHECK(metric(insert.http_port, "strata_insert_storage_ref_rows_total") >= 1800);  // batches 2..19 at least

  a.proc->Kill(SIGKILL);
  REQUIRE(a.proc->Start().ok());
  for (int b = 20; b < 40; ++b) {
    int status = 0;
    for (int attempt = 0; attempt < 100 && status != 204; ++attempt) {
      status = send(b);  // 503 until insert reconnects: Prometheus would retry the same way
      if (status != 204) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(status == 204);
  }
  CHECK(metric(insert.http_port, "strata_insert_storage_ref_refusals_total") >= 1);
  CHECK(metric(a.http_port, "strata_storage_rows_refused_unknown_ref_total") >= 1);
  CHECK(metric(insert.http_port, "strata_insert_storage_ref_rows_total") >= 3600);

  auto got = SearchNode(a.stub.get(), {Eq("__name__", "ref_test")}, base - 1000, base + 100'000);
  REQUIRE(got.size() == 100);
  for (auto& [series, samples] : got) {
    INFO(series);
    CHECK(samples.size() == 40);
  }
}

TEST_CASE("fewer reachable nodes than --min-replicas: 503, never a 2xx") {
  StorageNodeProcess a, b;
  std::vector<StorageNodeProcess*> nodes = {&a, &b};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2", "--storage-write-timeout=1s"});
  REQUIRE(insert.proc->Start().ok());
  http::HttpClient client("127.0.0.1", insert.http_port);
  const int64_t now = NowMs();
  std::vector<ingest::WriteRequestSeries> series = {{{{"__name__", "m"}, {"k", "v"}}, {{now, 1}}}};
  REQUIRE(client.Post("/api/v1/write", ingest::EncodeWriteRequest(series), "application/x-protobuf",
                      RemoteWriteHeaders())->status == 204);
  b.proc->Kill(SIGKILL);
  auto resp = client.Post("/api/v1/write", ingest::EncodeWriteRequest(series), "application/x-protobuf",
                          RemoteWriteHeaders());
  REQUIRE(resp.ok());
  CHECK(resp->status == 503);
  CHECK(resp->body.find("could not be stored on 2 storage node(s)") != std::string::npos);
}

TEST_CASE("every HTTP protocol lands in storage, bad input gets 4xx naming the problem") {
  StorageNodeProcess a;
  REQUIRE(a.proc->Start().ok());
  InsertProcess insert({&a}, {"--extra-label=dc=eu", "--ha-replica-label=replica", "--max-request-bytes=100000"});
  REQUIRE(insert.proc->Start().ok());
  http::HttpClient client("127.0.0.1", insert.http_port);
  const int64_t now = NowMs();
  const std::string ts_s = std::to_string(now / 1000);
  const std::string ts_ms = std::to_string(now);

  auto post = [&](const std::string& path, const std::string& body) {
    auto r = client.Post(path, body, "text/plain");
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(post("/insert/0/prometheus/api/v1/import",
             "{\"metric\":{\"__name__\":\"jl\",\"replica\":\"a\"},\"values\":[1,2],\"timestamps\":[" +
                 std::to_string(now - 1000) + "," + ts_ms + "]}\n")
            .status == 204);
  CHECK(post("/insert/0/prometheus/api/v1/import/csv?format=1:metric:csvm,2:label:host", "7.5,h1\n").status == 204);
  CHECK(post("/insert/0/prometheus/api/v1/import/prometheus", "# TYPE pt gauge\npt{a=\"b\"} 3 " + ts_ms + "\n")
            .status == 204);
  CHECK(post("/insert/0/prometheus/api/v1/import/prometheus/metrics/job/pushjob/instance/i1", "pushed 4\n").status ==
        204);
  CHECK(post("/insert/0/influx/write?db=mydb&precision=s", "cpu,host=h1 usage=0.5,idle=99 " + ts_s + "\n").status ==
        204);
  CHECK(post("/insert/0/opentsdb/api/put",
             "{\"metric\":\"tsdb_m\",\"timestamp\":" + ts_s + ",\"value\":18,\"tags\":{\"host\":\"web01\"}}")
            .status == 204);
  auto all = SearchNode(a.stub.get(), {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")}, now - 60'000,
                        now + 60'000);
  CHECK(all.count("jl{dc=\"eu\"}") == 1);  // replica label dropped, extra label added
  CHECK(all["jl{dc=\"eu\"}"].size() == 2);
  CHECK(all.count("csvm{dc=\"eu\", host=\"h1\"}") == 1);
  CHECK(all.count("pt{a=\"b\", dc=\"eu\"}") == 1);
  CHECK(all.count("pushed{dc=\"eu\", instance=\"i1\", job=\"pushjob\"}") == 1);
  CHECK(all.count("cpu_usage{db=\"mydb\", dc=\"eu\", host=\"h1\"}") == 1);
  CHECK(all.count("tsdb_m{dc=\"eu\", host=\"web01\"}") == 1);

  // Line formats keep valid lines and say which were rejected.
  auto partial = post("/write", "good v=1 " + ts_s + "000000000\nbad line here\n");
  CHECK(partial.status == 400);
  CHECK(partial.body.find("1 rows stored, 1 rejected") != std::string::npos);
  CHECK(partial.body.find("line 2") != std::string::npos);
  CHECK(SearchNode(a.stub.get(), {Eq("__name__", "good_v")}, now - 60'000, now + 60'000).size() == 1);

  // Unusable bodies, bad tenants, limits.
  auto garbage = client.Post("/api/v1/write", "not snappy at all", "application/x-protobuf", RemoteWriteHeaders());
  CHECK(garbage->status == 400);
  CHECK(garbage->body.find("cannot parse remote_write request") != std::string::npos);
  CHECK(post("/insert/abc/prometheus/api/v1/write", "x").status == 400);
  CHECK(post("/insert/1:2:3/influx/write", "x").status == 400);
  CHECK(post("/write", std::string(200000, 'x')).status == 413);
  auto bad_labels = post("/api/v1/import/prometheus", "ok_metric 1\nbad{0x=\"1\"} 2\n");
  CHECK(bad_labels.status == 400);
  auto bad_format = post("/insert/0/prometheus/api/v1/import/csv?format=1:nonsense", "1\n");
  CHECK(bad_format.status == 400);
  CHECK(bad_format.body.find("bad format parameter") != std::string::npos);
  auto get = client.Get("/api/v1/write");
  REQUIRE(get.ok());
  CHECK(get->status == 405);
  CHECK(get->Header("Allow") == "POST");
  auto unknown = post("/insert/0/graphite/nothing", "x");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("unsupported path") != std::string::npos);
}

TEST_CASE("tenants are stored apart") {
  // Every wire form to storage: WriteStream messages (default) with the batch
  // zstd-compressed (default) or plain, and a WriteCompressed or Write call each.
  const std::string compression = GENERATE("--storage-compression=true", "--storage-compression=false");
  const std::string streams = GENERATE("--storage-write-streams=true", "--storage-write-streams=false");
  INFO(compression << " " << streams);
  StorageNodeProcess a;
  REQUIRE(a.proc->Start().ok());
  InsertProcess insert({&a}, {compression, streams});
  REQUIRE(insert.proc->Start().ok());
  http::HttpClient client("127.0.0.1", insert.http_port);
  const int64_t now = NowMs();
  std::vector<ingest::WriteRequestSeries> series = {{{{"__name__", "tenant_m"}}, {{now, 42}}}};
  REQUIRE(client.Post("/insert/42/prometheus/api/v1/write", ingest::EncodeWriteRequest(series),
                      "application/x-protobuf", RemoteWriteHeaders())->status == 204);
  CHECK(SearchNode(a.stub.get(), {Eq("__name__", "tenant_m")}, now - 1000, now + 1000, 42).size() == 1);
  CHECK(SearchNode(a.stub.get(), {Eq("__name__", "tenant_m")}, now - 1000, now + 1000, 0).empty());
  http::HttpClient admin("127.0.0.1", a.http_port);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics.ok());
  const bool compressed = compression.ends_with("true"), streamed = streams.ends_with("true");
  auto served = [&](const char* method) {
    return metrics->body.find(std::string("method=\"") + method + "\",code=\"OK\"") != std::string::npos;
  };
  CHECK(served("WriteStream") == streamed);
  CHECK(served("WriteCompressed") == (compressed && !streamed));
  CHECK(served("Write") == (!compressed && !streamed));
}

TEST_CASE("a node list shorter than RF stores on every node and answers 204") {
  StorageNodeProcess a;
  REQUIRE(a.proc->Start().ok());
  InsertProcess insert({&a}, {"--replication-factor=2"});
  REQUIRE(insert.proc->Start().ok());
  http::HttpClient client("127.0.0.1", insert.http_port);
  const int64_t now = NowMs();
  std::vector<ingest::WriteRequestSeries> series = {{{{"__name__", "short_ring"}}, {{now, 1}}}};
  auto resp = client.Post("/api/v1/write", ingest::EncodeWriteRequest(series), "application/x-protobuf",
                          RemoteWriteHeaders());
  REQUIRE(resp.ok());
  CHECK(resp->status == 204);
  CHECK(SearchNode(a.stub.get(), {Eq("__name__", "short_ring")}, now - 1000, now + 1000).size() == 1);
}
