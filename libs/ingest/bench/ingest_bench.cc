// Parser throughput: samples/s of each parser on realistic bodies.
//
//   ninja -C build-ingest ingest_bench && build-ingest/bin/ingest_bench
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "libs/ingest/influx.h"
#include "libs/ingest/prom_text.h"
#include "libs/ingest/remote_write.h"
#include "libs/ingest/remote_write_encoder.h"

namespace strata::ingest {
namespace {

struct CountSink : RowSink {
  void OnRow(const RowView& row) override { n += row.samples.size() + row.labels.size(); }
  uint64_t n = 0;
};

// A node_exporter-like scrape: 10,000 series with 5 labels and one sample each.
std::vector<WriteRequestSeries> Scrape() {
  std::vector<WriteRequestSeries> out;
  for (int i = 0; i < 10000; ++i) {
    out.push_back({{{"__name__", "node_cpu_seconds_total"},
                    {"cpu", std::to_string(i % 64)},
                    {"instance", "host-" + std::to_string(i / 640) + ":9100"},
                    {"job", "node"},
                    {"mode", "idle" + std::to_string(i % 10)}},
                   {{1690000000000 + i, 1000.5 + i}}});
  }
  return out;
}

void BM_RemoteWrite(benchmark::State& state) {
  std::string body = EncodeWriteRequest(Scrape());
  CountSink sink;
  for (auto _ : state) {
    ParseResult r;
    benchmark::DoNotOptimize(ParseRemoteWrite(body, {}, sink, &r));
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_RemoteWrite);

void BM_Influx(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body += "cpu,host=host-" + std::to_string(i % 100) + ",cpu=cpu" + std::to_string(i % 8) +
            " usage_idle=99.5,usage_user=0.25,usage_system=0.25 1690000000" +
            std::to_string(100000000 + i) + "\n";
  }
  CountSink sink;
  for (auto _ : state) {
    ParseResult r;
    benchmark::DoNotOptimize(ParseInflux(body, {}, sink, &r));
  }
  state.SetItemsProcessed(state.iterations() * 30000);
}
BENCHMARK(BM_Influx);

void BM_PromText(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body += "node_cpu_seconds_total{cpu=\"" + std::to_string(i % 64) + "\",mode=\"idle" +
            std::to_string(i % 10) + "\"} " + std::to_string(1000.5 + i) + "\n";
  }
  CountSink sink;
  for (auto _ : state) {
    ParseResult r;
    benchmark::DoNotOptimize(ParsePromText(body, {.now_ms = 1}, sink, &r));
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_PromText);

}  // namespace
}  // namespace strata::ingest

BENCHMARK_MAIN();
