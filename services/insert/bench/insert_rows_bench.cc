// What insert spends per remote_write row before any storage call: snappy, the
// protobuf decode, RowCollector's checks and the encoding into EncodedRows, without
// and with the series cache (services/insert/series_cache.h).
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

// state.range(0): the SeriesCache's bytes (0: none). 64 MiB holds every series (warm:
// each seen once before timing); 256 KiB holds ~1 500 of the 20 000, so nearly
// every row misses and is put again (the worst case: more series than the cache).
void BM_RemoteWriteRows(benchmark::State& state) {
  MetricsRegistry registry;
  CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "", {"reason"});
  IngestLimits limits;
  const std::vector<std::string>& bodies = Bodies();
  SeriesCache storage(static_cast<size_t>(state.range(0)));
  SeriesCache* cache = state.range(0) ? &storage : nullptr;
  for (const std::string& body : bodies) {
    RowCollector collector(Tenant{}, limits, &rejected, cache);
    ingest::ParseResult result;
    (void)ingest::ParseRemoteWrite(body, {}, collector, &result);
  }
  size_t next = 0;
  uint64_t rows = 0;
  for (auto _ : state) {
    RowCollector collector(Tenant{}, limits, &rejected, cache);
    ingest::ParseResult result;
    benchmark::DoNotOptimize(ingest::ParseRemoteWrite(bodies[next], {}, collector, &result));
    rows += collector.rows().size();
    next = (next + 1) % bodies.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
}
BENCHMARK(BM_RemoteWriteRows)->ArgName("series_cache_bytes")->Arg(0)->Arg(64 << 20)->Arg(256 << 10);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
