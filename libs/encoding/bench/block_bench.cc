// Block codec throughput and size on node_exporter-like data, for blocks of 120
// samples (30 min at 15 s), 720 (3 h) and 5760 (a day, what storage persists).
//
//   ninja -C build-encoding block_bench && build-encoding/bin/block_bench
//
// Data (seeded, reproducible): 15 s scrapes; 95% of timestamps exactly on the grid
// (Prometheus aligns scrape timestamps within 2 ms) and 5% off by up to ±50 ms.
//   counters: a third integer counters (+0..19 per scrape), a third CPU-seconds
//             counters with 2 decimals (+14.00..15.00 s per scrape), a third idle
//             error counters (+1 with probability 1/50);
//   gauges:   a third memory bytes (random walk in ±64 pages of 4096 bytes),
//             a third temperatures with 1 decimal (±0.3 walk around 45 °C),
//             a third load averages with 2 decimals (±0.05 walk);
//   mix:      half counters, half gauges;
//   jittered: counters with every timestamp off the grid by ±2 ms;
//   random:   uniformly random doubles (the XOR fallback's worst case).
// Counters reported: bytes_per_sample (block bytes / samples over the corpus),
// items_per_second (samples per second, one core) and, for encoding, zstd_blocks (the
// fraction of blocks whose payload zstd made smaller).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "libs/encoding/block.h"
#include "libs/encoding/packed_samples.h"

namespace strata {
namespace {

enum Kind { kCounter, kGauge, kMix, kJittered, kRandom };
constexpr int kSeriesPerCorpus = 512;

std::vector<Sample> MakeSeries(Kind kind, int series, size_t n, std::mt19937_64* rng) {
  std::uniform_real_distribution<double> uni(0, 1);
  std::vector<Sample> s(n);
  const int64_t t0 = 1700000000000 + (*rng)() % 15000;
  for (size_t i = 0; i < n; ++i) {
    int64_t jitter = 0;
    if (kind == kJittered) {
      jitter = static_cast<int64_t>((*rng)() % 5) - 2;
    } else if (uni(*rng) < 0.05) {
      jitter = static_cast<int64_t>((*rng)() % 101) - 50;
    }
    s[i].t = t0 + static_cast<int64_t>(i) * 15000 + jitter;
  }
  bool counter = kind == kCounter || kind == kJittered || (kind == kMix && series % 2 == 0);
  int flavour = series / (kind == kMix ? 2 : 1) % 3;
  if (kind == kRandom) {
    for (auto& x : s) x.v = uni(*rng) * 1e6;
    return s;
  }
  if (counter) {
    int64_t c = static_cast<int64_t>((*rng)() % 1000000);
    for (auto& x : s) {
      switch (flavour) {
        case 0:
          c += static_cast<int64_t>((*rng)() % 20);
          x.v = static_cast<double>(c);
          break;
        case 1:
          c += 1400 + static_cast<int64_t>((*rng)() % 101);
          x.v = static_cast<double>(c) / 100;
          break;
        case 2:
          c += uni(*rng) < 0.02 ? 1 : 0;
          x.v = static_cast<double>(c);
          break;
      }
    }
  } else {
    int64_t g = flavour == 0   ? 2000000 + static_cast<int64_t>((*rng)() % 1000000)
                : flavour == 1 ? 450
                               : 150;
    for (auto& x : s) {
      switch (flavour) {
        case 0:
          g += static_cast<int64_t>((*rng)() % 129) - 64;
          x.v = static_cast<double>(g * 4096);
          break;
        case 1:
          g += static_cast<int64_t>((*rng)() % 7) - 3;
          x.v = static_cast<double>(g) / 10;
          break;
        case 2:
          g += static_cast<int64_t>((*rng)() % 11) - 5;
          if (g < 0) g = 0;
          x.v = static_cast<double>(g) / 100;
          break;
      }
    }
  }
  return s;
}

std::vector<std::vector<Sample>> MakeCorpus(Kind kind, size_t n) {
  std::mt19937_64 rng(20240601 + kind * 1000 + n);
  std::vector<std::vector<Sample>> corpus;
  for (int i = 0; i < kSeriesPerCorpus; ++i) corpus.push_back(MakeSeries(kind, i, n, &rng));
  return corpus;
}

void BM_Encode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)), static_cast<size_t>(state.range(1)));
  std::string out;
  size_t bytes = 0, samples = 0, zstd = 0;
  for (const auto& s : corpus) {
    out.clear();
    EncodeBlock(s, &out);
    bytes += out.size();
    samples += s.size();
    zstd += (out[1] & 1);  // the block's zstd flag
  }
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    EncodeBlock(corpus[i], &out);
    benchmark::DoNotOptimize(out.data());
    i = (i + 1) % corpus.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(samples);
  state.counters["zstd_blocks"] = static_cast<double>(zstd) / static_cast<double>(corpus.size());
}

void BM_Decode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)), static_cast<size_t>(state.range(1)));
  std::vector<std::string> blocks(corpus.size());
  size_t bytes = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    EncodeBlock(corpus[i], &blocks[i]);
    bytes += blocks[i].size();
  }
  std::vector<Sample> out;
  out.reserve(static_cast<size_t>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    if (!DecodeBlock(blocks[i], &out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
    i = (i + 1) % blocks.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / static_cast<double>(corpus.size() * corpus[0].size());
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"kind", "n"});
  for (int kind : {kCounter, kGauge, kMix, kJittered, kRandom}) {
    for (int n : {120, 720, 5760}) b->Args({kind, n});
  }
}

BENCHMARK(BM_Encode)->Apply(Args);
BENCHMARK(BM_Decode)->Apply(Args);

// Packed samples (packed_samples.h), the head's wire form: 241 samples is an hour
// at 15 s, as the dashboard benchmark's series.
void BM_PackedEncode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)), static_cast<size_t>(state.range(1)));
  std::string out;
  size_t bytes = 0, samples = 0;
  for (const auto& s : corpus) {
    out.clear();
    AppendPackedSamples(s, &out);
    bytes += out.size();
    samples += s.size();
  }
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    AppendPackedSamples(corpus[i], &out);
    benchmark::DoNotOptimize(out.data());
    i = (i + 1) % corpus.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(samples);
}

void BM_PackedDecode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)), static_cast<size_t>(state.range(1)));
  std::vector<std::string> packed(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) AppendPackedSamples(corpus[i], &packed[i]);
  std::vector<Sample> out;
  out.reserve(static_cast<size_t>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    if (!DecodePackedSamples(packed[i], corpus[i].size(), kMinTime, kMaxTime, &out).ok()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(out.data());
    i = (i + 1) % packed.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
}

void PackedArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"kind", "n"});
  for (int kind : {kCounter, kGauge, kJittered, kRandom}) b->Args({kind, 241});
}

BENCHMARK(BM_PackedEncode)->Apply(PackedArgs);
BENCHMARK(BM_PackedDecode)->Apply(PackedArgs);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
