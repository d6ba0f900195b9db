// PromQL engine benchmarks over an in-memory store of 10k series x 1h at 15s:
//   sum by (job) (rate(x[5m]))
//   histogram_quantile(0.99, sum by (le) (rate(b[5m])))
// each as an instant query (at the end of the hour) and as a range query over the
// hour with a 15s step. "samples/s" counts stored samples the query had to read;
// "peak_samples" is the engine's own peak (Result::peak_samples); "max_rss_MB" is the
// process high-water mark, including the ~2x2.4M-sample in-memory store.
//
//   build/bin/promql_bench --benchmark_filter=Range
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "libs/promql/engine/engine.h"
#include "libs/promql/memory_storage.h"

namespace strata::promql {
namespace {

constexpr int kSeries = 10'000;
constexpr int64_t kStep = 15'000;
constexpr int64_t kHour = 3600'000;
constexpr int64_t kSamplesPerSeries = kHour / kStep + 1;
const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};

const MemoryStorage& Store() {
  static const MemoryStorage* st = [] {
    auto* s = new MemoryStorage();
    std::vector<Sample> samples(kSamplesPerSeries);
    for (int i = 0; i < kSeries; ++i) {
      for (int64_t k = 0; k < kSamplesPerSeries; ++k) {
        samples[k] = {k * kStep, static_cast<double>(k * (i % 7 + 1))};
      }
      s->Append(*Labels::FromPairs({{"__name__", "x"},
                                    {"job", "job" + std::to_string(i % 10)},
                                    {"instance", "i" + std::to_string(i)}}),
                samples);
      int bucket = i % 10;
      for (int64_t k = 0; k < kSamplesPerSeries; ++k) {
        samples[k] = {k * kStep, static_cast<double>(k * (bucket + 1))};
      }
      s->Append(*Labels::FromPairs({{"__name__", "b"},
                                    {"le", kLe[bucket]},
                                    {"instance", "i" + std::to_string(i / 10)}}),
                samples);
    }
    return s;
  }();
  return *st;
}

void Run(benchmark::State& state, const char* query, bool range) {
  const MemoryStorage& st = Store();
  EngineOptions o;
  o.timeout = absl::ZeroDuration();
  Engine engine(o);
  int64_t samples_read = 0;
  int64_t peak_samples = 0;
  for (auto _ : state) {
    absl::StatusOr<Result> r = range ? engine.RangeQuery(st, query, 0, kHour, kStep)
                                     : engine.InstantQuery(st, query, kHour);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    peak_samples = r->peak_samples;
    benchmark::DoNotOptimize(r);
    // Range: every stored sample; instant: the 5m window of each series.
    samples_read += static_cast<int64_t>(kSeries) * (range ? kSamplesPerSeries : 5 * 60'000 / kStep + 1);
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples_read), benchmark::Counter::kIsRate);
  state.counters["peak_samples"] = static_cast<double>(peak_samples);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["max_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;  // store included
}

void BM_SumRateInstant(benchmark::State& s) { Run(s, "sum by (job) (rate(x[5m]))", false); }
void BM_SumRateRange(benchmark::State& s) { Run(s, "sum by (job) (rate(x[5m]))", true); }
void BM_HistogramQuantileInstant(benchmark::State& s) {
  Run(s, "histogram_quantile(0.99, sum by (le) (rate(b[5m])))", false);
}
void BM_HistogramQuantileRange(benchmark::State& s) {
  Run(s, "histogram_quantile(0.99, sum by (le) (rate(b[5m])))", true);
}

BENCHMARK(BM_SumRateInstant)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumRateRange)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistogramQuantileInstant)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistogramQuantileRange)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::promql

BENCHMARK_MAIN();
