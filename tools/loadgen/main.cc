// strata-loadgen: sends seeded node_exporter-like Prometheus remote_write bodies to
// one loopback URL and reports samples/s, request latency percentiles and non-2xx
// answers. Bounded: --series x --samples-per-series samples, and --max-duration.
//
//   strata-loadgen --url=http://127.0.0.1:8480/api/v1/write --series=10000
//       --samples-per-series=30 --concurrency=4 --seed=1
//
// Every body is generated before the clock starts, so the figure is the receiver's
// rate, not the generator's. The same --series/--seed/--series-per-request always
// produce the same bodies (to compare two systems on identical input).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "libs/common/flags.h"
#include "libs/http/http_client.h"
#include "tools/loadgen/node_exporter_series.h"

namespace {

struct Url {
  std::string host;
  int port = 0;
  std::string path;
};

// Accepts http://<loopback host>:<port>/<path> only: a load generator must not be
// pointed at someone else's server by accident.
bool ParseLoopbackUrl(const std::string& s, Url* u, std::string* err) {
  const std::string scheme = "http://";
  if (s.rfind(scheme, 0) != 0) return *err = "--url must start with http://", false;
  std::string rest = s.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u->path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return *err = "--url needs an explicit port", false;
  u->host = hostport.substr(0, colon);
  u->port = std::atoi(hostport.substr(colon + 1).c_str());
  if (u->host != "127.0.0.1" && u->host != "localhost" && u->host != "[::1]") {
    return *err = "--url must be a loopback address (127.0.0.1, localhost, [::1])", false;
  }
  if (u->host == "[::1]") u->host = "::1";
  if (u->port <= 0 || u->port > 65535) return *err = "--url has a bad port", false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"strata-loadgen: seeded node_exporter-like remote_write load on a loopback URL"};
  std::string url_flag = "http://127.0.0.1:8480/api/v1/write";
  std::string start_file;
  size_t series = 10'000, samples_per_series = 10, series_per_request = 500, concurrency = 4;
  uint64_t seed = 1;
  double max_duration_s = 120;
  int64_t scrape_interval_ms = 15'000;
  app.add_option("--url", url_flag, "remote_write URL on loopback")->capture_default_str();
  app.add_option("--series", series, "Distinct series")->capture_default_str();
  app.add_option("--samples-per-series", samples_per_series, "Scrape rounds: samples sent per series")
      ->capture_default_str();
  app.add_option("--series-per-request", series_per_request, "Series (one sample each) per remote_write body")
      ->capture_default_str();
  app.add_option("--concurrency", concurrency, "Parallel connections")->capture_default_str();
  app.add_option("--seed", seed, "Seed of labels and values")->capture_default_str();
  app.add_option("--start-file", start_file, "Written once every body is built, as the clock starts");
  app.add_option("--max-duration", max_duration_s, "Stop sending after this many seconds")->capture_default_str();
  app.add_option("--scrape-interval-ms", scrape_interval_ms, "Time between two samples of a series")
      ->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);

  Url url;
  std::string err;
  if (!ParseLoopbackUrl(url_flag, &url, &err)) {
    fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  if (series == 0 || samples_per_series == 0 || series_per_request == 0 || concurrency == 0 || concurrency > 256) {
    fprintf(stderr, "--series, --samples-per-series, --series-per-request must be > 0; --concurrency in 1..256\n");
    return 2;
  }
  if (series * samples_per_series > 200'000'000) {
    fprintf(stderr, "at most 2e8 samples per run\n");
    return 2;
  }

  // Rounds end at "now" so storage with a retention window accepts every sample.
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t first_ms = (now_ms - int64_t(samples_per_series) * scrape_interval_ms) / 1000 * 1000;
  strata::loadgen::NodeExporterSeries gen(series, seed);
  std::vector<std::string> bodies;
  std::vector<size_t> body_samples;
  size_t body_bytes = 0;
  for (size_t r = 0; r < samples_per_series; ++r) {
    std::vector<std::string> round = gen.Round(first_ms + int64_t(r) * scrape_interval_ms, series_per_request);
    for (size_t b = 0; b < round.size(); ++b) {
      body_samples.push_back(std::min(series_per_request, series - b * series_per_request));
      body_bytes += round[b].size();
      bodies.push_back(std::move(round[b]));
    }
  }

  if (!start_file.empty()) {
    // A script waiting to profile the load itself (not the building) watches for it.
    FILE* f = fopen(start_file.c_str(), "w");
    if (f == nullptr) {
      fprintf(stderr, "--start-file: cannot write %s\n", start_file.c_str());
      return 2;
    }
    fprintf(f, "%zu bodies built, sending\n", bodies.size());
    fclose(f);
  }
  std::atomic<size_t> next{0}, sent_samples{0}, non2xx{0}, transport_errors{0};
  std::vector<std::vector<double>> latencies(concurrency);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(max_duration_s);
  std::vector<std::thread> workers;
  for (size_t w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      strata::http::HttpClient client(url.host, url.port, absl::Seconds(60));
      const strata::http::HeaderList headers = {{"Content-Encoding", "snappy"},
                                                {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
      // Bodies are taken in order, so a series' samples arrive (almost) in time order.
      for (size_t i; (i = next.fetch_add(1)) < bodies.size() && std::chrono::steady_clock::now() < deadline;) {
        auto t0 = std::chrono::steady_clock::now();
        auto resp = client.Post(url.path, bodies[i], "application/x-protobuf", headers);
        latencies[w].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (!resp.ok()) {
          if (transport_errors++ < 3) fprintf(stderr, "request failed: %s\n", std::string(resp.status().message()).c_str());
          client.Close();
        } else if (resp->status / 100 != 2) {
          if (non2xx++ < 3) fprintf(stderr, "HTTP %d: %s\n", resp->status, resp->body.substr(0, 200).c_str());
        } else {
          sent_samples += body_samples[i];
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  printf("url=%s series=%zu samples_per_series=%zu series_per_request=%zu concurrency=%zu seed=%llu\n",
         url_flag.c_str(), series, samples_per_series, series_per_request, concurrency,
         static_cast<unsigned long long>(seed));
  printf("requests=%zu bodies_mb=%.1f elapsed_s=%.2f stored_samples=%zu samples_per_s=%.0f p50_ms=%.2f "
         "p99_ms=%.2f non2xx=%zu transport_errors=%zu\n",
         all.size(), body_bytes / 1e6, elapsed, sent_samples.load(), sent_samples / elapsed, pct(0.50) * 1e3,
         pct(0.99) * 1e3, non2xx.load(), transport_errors.load());
  return non2xx == 0 && transport_errors == 0 && all.size() == bodies.size() ? 0 : 1;
}
