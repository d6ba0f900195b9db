// Dashboard query benchmark (issue 5): the same data — `--series` series x 1 h at
// 15 s — written by remote_write into Strata (one storage node, insert, select),
// VictoriaMetrics 1.79.5 single-node and Prometheus 2.42, then a Grafana-like set
// of range queries (1 h, step 15 s unless noted) is timed against each, same run.
// Prints a Markdown table of median latencies (ms) to stdout.
//
//   build/bin/select_dashboard_bench [--series=100000] [--runs=5] [--flush] [--only-strata] [--query=N]
//   build/bin/select_dashboard_bench --against=SELECT_PORT,VM_PORT,PROM_PORT,END_S [--runs=N] [--query=N]
//
// --flush persists Strata's head into blocks before the queries (as happens every
// --head-flush-interval in a running node, so an hour-long dashboard reads mostly
// blocks); without it every sample is still in the head. --only-strata skips the
// other two systems; --serve loads the data, prints the ports and waits (for
// profiling queries by hand) instead of timing the query set; --against times the
// query set against such a running --serve (the ports and end it printed), and
// --query=N times only the Nth query (0-based) of the set.
//
// VictoriaMetrics runs with -search.disableCache and -search.latencyOffset=0 so
// every run evaluates; Strata and Prometheus have no result cache. Each answer's
// series count is compared across the three systems (a mismatch is printed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "libs/http/http_client.h"
#include "libs/http/url.h"
#include "libs/ingest/remote_write_encoder.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

struct Target {
  std::string name;
  int port;
  std::string prefix;
};

// Series layout (per instance i of n/100): 20 request counters (5 handlers x 4
// codes), 40 duration buckets (5 handlers x 8 le), 40 cpu counters (8 cpus x 5 modes).
void Generate(int instances, int64_t t0, int points, const std::function<void(std::vector<ingest::WriteRequestSeries>&)>& emit) {
  const char* handlers[] = {"/", "/api", "/login", "/search", "/static"};
  const char* codes[] = {"200", "302", "404", "500"};
  const char* les[] = {"0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"};
  const char* modes[] = {"user", "system", "idle", "iowait", "irq"};
  std::vector<ingest::WriteRequestSeries> batch;
  auto add = [&](std::vector<Label> labels, double rate) {
    ingest::WriteRequestSeries s{std::move(labels), {}};
    s.samples.reserve(points);
    double v = 0;
    for (int k = 0; k < points; ++k) {
      v += rate * 15 * (0.5 + double((k * 7919 + int(rate * 13)) % 100) / 100);
      s.samples.push_back({t0 + int64_t(k) * 15'000, std::floor(v)});
    }
    batch.push_back(std::move(s));
  };
  for (int i = 0; i < instances; ++i) {
    const std::string inst = "host" + std::to_string(i) + ":9100";
    const std::string job = "job" + std::to_string(i % 10);
    for (int h = 0; h < 5; ++h) {
      for (int c = 0; c < 4; ++c) {
        add({{"__name__", "http_requests_total"}, {"job", job}, {"instance", inst}, {"handler", handlers[h]},
             {"code", codes[c]}},
            (c == 0 ? 10.0 : 1.0) * (h + 1) + i % 7);
      }
      for (int b = 0; b < 8; ++b) {
        add({{"__name__", "http_request_duration_seconds_bucket"}, {"job", job}, {"instance", inst},
             {"handler", handlers[h]}, {"le", les[b]}},
            (b + 1) * 2.0 + h);
      }
    }
    for (int cpu = 0; cpu < 8; ++cpu) {
      for (int m = 0; m < 5; ++m) {
        add({{"__name__", "node_cpu_seconds_total"}, {"job", job}, {"instance", inst}, {"cpu", std::to_string(cpu)},
             {"mode", modes[m]}},
            m == 2 ? 0.8 : 0.05);
      }
    }
    if (batch.size() >= 2000) emit(batch);
  }
  if (!batch.empty()) emit(batch);
}

int CountSeries(const std::string& body) {
  int n = 0;
  for (size_t p = 0; (p = body.find("\"metric\":", p)) != std::string::npos; ++p) ++n;
  return n;
}

}  // namespace

// Times the query set against the three systems' HTTP ports (data ending at end_s)
// and prints the table; `query_filter` >= 0 times only that query of the set.
int TimeQueries(int select_port, int vm_port, int prom_port, int64_t end_s, int runs, bool only_strata,
                int query_filter, size_t total) {
  struct Query {
    std::string expr;
    int step;
  };
  const std::vector<Query> queries = {
      {"sum(rate(http_requests_total[5m]))", 15},
      {"sum by (job) (rate(http_requests_total[5m]))", 15},
      {"sum by (code) (rate(http_requests_total{handler=\"/api\"}[5m]))", 15},
      {"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", 15},
      {"topk(5, sum by (instance) (rate(http_requests_total[5m])))", 15},
      {"sum(rate(http_requests_total{instance=~\"host1.*\", code=~\"5..\"}[5m]))", 15},
      {"100 * (1 - avg by (job) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m])))", 15},
      {"count by (__name__) ({__name__=~\".+\"})", 60},
      {"max_over_time(sum(rate(http_requests_total[1m]))[10m:1m])", 60},
  };
  std::vector<Target> targets = {{"Strata", select_port, ""},
                                 {"VictoriaMetrics 1.79.5", vm_port, ""},
                                 {"Prometheus 2.42", prom_port, ""}};
  if (only_strata) targets.resize(1);
  printf("Dashboard query set: %zu series x 1 h (15 s), range queries over the hour, median of %d interleaved runs after 1 warm-up, ms\n\n",
         total, runs);
  printf("| query | step | Strata | VictoriaMetrics 1.79.5 | Prometheus 2.42 |\n|---|---|---|---|---|\n");
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    const Query& q = queries[qi];
    if (query_filter >= 0 && static_cast<size_t>(query_filter) != qi) continue;
    std::string row = "| `" + q.expr + "` | " + std::to_string(q.step) + "s";
    const std::string target = "/api/v1/query_range?query=" + http::UrlEncode(q.expr) + "&start=" +
                               std::to_string(end_s - 3600) + "&end=" + std::to_string(end_s) +
                               "&step=" + std::to_string(q.step);
    // One warm-up per system, then rounds in which each system answers once, the
    // first system of a round rotating, so that a slow spell of the shared machine
    // weighs on every system alike. Each request starts after a pause: the system
    // that answered before may still be busy (a Go GC cycle after Prometheus' answer
    // added ~1 ms to the next system's 5 ms one), and the pause keeps that out.
    std::vector<std::unique_ptr<http::HttpClient>> clients;
    std::vector<std::vector<double>> ms(targets.size());
    std::vector<int> counts(targets.size(), -1);
    std::vector<bool> failed(targets.size(), false);
    for (const Target& t : targets) clients.push_back(std::make_unique<http::HttpClient>("127.0.0.1", t.port));
    for (int r = 0; r <= runs; ++r) {
      for (size_t k = 0; k < targets.size(); ++k) {
        const size_t i = (k + static_cast<size_t>(r)) % targets.size();
        if (failed[i]) continue;
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        auto start = std::chrono::steady_clock::now();
        auto resp = clients[i]->Get(target);
        double d = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (!resp.ok() || resp->status != 200) {
          fprintf(stderr, "%s: %s -> %s\n", targets[i].name.c_str(), q.expr.c_str(),
                  resp.ok() ? resp->body.substr(0, 300).c_str() : std::string(resp.status().message()).c_str());
          failed[i] = true;
          continue;
        }
        counts[i] = CountSeries(resp->body);
        if (r > 0) ms[i].push_back(d);
      }
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      if (failed[i] || ms[i].empty()) {
        row += " | error";
      } else {
        std::sort(ms[i].begin(), ms[i].end());
        char buf[32];
        snprintf(buf, sizeof buf, " | %.1f", ms[i][ms[i].size() / 2]);
        row += buf;
      }
    }
    printf("%s |\n", row.c_str());
    fflush(stdout);
    if (!only_strata && (counts[0] != counts[1] || counts[0] != counts[2])) {
      fprintf(stderr, "series counts differ for %s: %d / %d / %d\n", q.expr.c_str(), counts[0], counts[1], counts[2]);
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  int series = 100'000, runs = 5;
  bool flush = false, only_strata = false, serve = false;
  int query_filter = -1;  // --query=N: only the Nth query of the set (0-based)
  std::string against;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--series=", 9) == 0) series = atoi(argv[i] + 9);
    if (strncmp(argv[i], "--runs=", 7) == 0) runs = atoi(argv[i] + 7);
    if (strcmp(argv[i], "--flush") == 0) flush = true;
    if (strcmp(argv[i], "--only-strata") == 0) only_strata = true;
    if (strcmp(argv[i], "--serve") == 0) serve = true;
    if (strncmp(argv[i], "--query=", 8) == 0) query_filter = atoi(argv[i] + 8);
    if (strncmp(argv[i], "--against=", 10) == 0) against = argv[i] + 10;
  }
  if (!against.empty()) {
    // The servers of a --serve run: SELECT_PORT,VM_PORT,PROM_PORT,END_S as it printed.
    long long p[4];
    if (sscanf(against.c_str(), "%lld,%lld,%lld,%lld", &p[0], &p[1], &p[2], &p[3]) != 4) {
      fprintf(stderr, "--against wants SELECT_PORT,VM_PORT,PROM_PORT,END_S\n");
      return 2;
    }
    return TimeQueries(int(p[0]), int(p[1]), int(p[2]), p[3], runs, only_strata, query_filter,
                       size_t(series));
  }
  const int instances = std::max(1, series / 100);
  const int points = 241;  // 1 h at 15 s
  const int64_t end_s = NowMs() / 1000 / 60 * 60 - 60;
  const int64_t t0 = (end_s - 3600) * 1000;

  StorageNodeProcess node;
  auto started = [](ServiceProcess& p, const char* what, double timeout_s = 30) {
    absl::Status st = p.Start(timeout_s);
    if (!st.ok()) fprintf(stderr, "%s did not start: %s (log %s)\n", what, std::string(st.message()).c_str(), p.log_path().c_str());
    return st.ok();
  };
  if (!started(*node.proc, "strata-storage")) return 1;
  InsertProcess insert({&node});
  // Started by hand (not SelectProcess) for a storage deadline long enough for
  // the heaviest query: SelectProcess pins --storage-timeout=3s for tests.
  const int select_port = FreePort();
  ServiceProcess select("strata-select",
                        {"--storage-nodes=" + node.grpc_address(),
                         "--http-listen=127.0.0.1:" + std::to_string(select_port), "--storage-timeout=120s",
                         "--search-max-query-duration=120s", "--search-max-samples-per-query=2000000000"},
                        select_port);
  if (!started(*insert.proc, "strata-insert") || !started(select, "strata-select")) return 1;
  TempDir vm_dir, prom_dir;
  const int vm_port = FreePort(), prom_port = FreePort();
  ServiceProcess vm("/usr/bin/victoria-metrics",
                    {"-storageDataPath=" + vm_dir.path(), "-httpListenAddr=127.0.0.1:" + std::to_string(vm_port),
                     "-retentionPeriod=1y", "-search.disableCache", "-search.latencyOffset=0",
                     "-search.maxUniqueTimeseries=10000000", "-search.maxSamplesPerQuery=2000000000"},
                    vm_port, "/health");
  { std::ofstream(prom_dir.path() + "/prometheus.yml") << "global:\n  scrape_interval: 1m\n"; }
  ServiceProcess prom("/usr/bin/prometheus",
                      {"--config.file=" + prom_dir.path() + "/prometheus.yml",
                       "--storage.tsdb.path=" + prom_dir.path() + "/data",
                       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                       "--web.enable-remote-write-receiver", "--query.max-samples=2000000000"},
                      prom_port, "/-/ready");
  if (!only_strata && (!started(vm, "victoria-metrics", 60) || !started(prom, "prometheus", 60))) return 1;

  auto t_ingest = std::chrono::steady_clock::now();
  size_t total = 0;
  Generate(instances, t0, points, [&](std::vector<ingest::WriteRequestSeries>& batch) {
    std::string body = ingest::EncodeWriteRequest(batch);
    for (auto [port, path] : {std::pair{insert.http_port, "/api/v1/write"}, std::pair{vm_port, "/api/v1/write"},
                              std::pair{prom_port, "/api/v1/write"}}) {
      if (only_strata && port != insert.http_port) continue;
      http::HttpClient c("127.0.0.1", port);
      auto r = c.Post(path, body, "application/x-protobuf",
                      {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
      if (!r.ok() || r->status / 100 != 2) {
        fprintf(stderr, "write to :%d failed: %s\n", port, r.ok() ? r->body.c_str() : std::string(r.status().message()).c_str());
        exit(1);
      }
    }
    total += batch.size();
    batch.clear();
  });
  if (!only_strata) {
    http::HttpClient c("127.0.0.1", vm_port);
    (void)c.Get("/internal/force_flush");
  }
  if (flush) {
    http::HttpClient c("127.0.0.1", node.http_port);
    auto r = c.Get("/internal/force_flush");
    if (!r.ok() || r->status != 200) {
      fprintf(stderr, "strata force_flush failed\n");
      return 1;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  fprintf(stderr, "wrote %zu series x %d points to all three in %.1f s\n", total, points,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t_ingest).count());

  if (serve) {
    printf("serving: select :%d, storage http :%d, VictoriaMetrics :%d, Prometheus :%d; data from %lld to %lld s\n",
           select_port, node.http_port, vm_port, prom_port, static_cast<long long>(end_s - 3600),
           static_cast<long long>(end_s));
    fflush(stdout);
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  return TimeQueries(select_port, vm_port, prom_port, end_s, runs, only_strata, query_filter, total);
}
