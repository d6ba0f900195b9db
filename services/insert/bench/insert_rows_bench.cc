// What insert spends per remote_write row before any storage call: snappy, the
// protobuf decode, RowCollector's checks and the encoding into EncodedRows.
//
//   cmake --build build --target insert_rows_bench && build/bin/insert_rows_bench
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "libs/ingest/remote_write.h"
#include "services/insert/row_collector.h"
#include "tools/loadgen/node_exporter_series.h"

namespace strata {
namespace {

// Bodies of 500 node_exporter-like series, one sample each (what Prometheus sends).
const std::vector<std::string>& Bodies() {
  static const std::vector<std::string> bodies = [] {
    loadgen::NodeExporterSeries gen(20'000, 1);
    return gen.Round(1'700'000'000'000, 500);
  }();
  return bodies;
}

void BM_RemoteWriteRows(benchmark::State& state) {
  MetricsRegistry registry;
  CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "", {"reason"});
  IngestLimits limits;
  const std::vector<std::string>& bodies = Bodies();
  size_t next = 0;
  uint64_t rows = 0;
  for (auto _ : state) {
    RowCollector collector(Tenant{}, limits, &rejected);
    ingest::ParseResult result;
    benchmark::DoNotOptimize(ingest::ParseRemoteWrite(bodies[next], {}, collector, &result));
    rows += collector.rows().size();
    next = (next + 1) % bodies.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
}
BENCHMARK(BM_RemoteWriteRows);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
