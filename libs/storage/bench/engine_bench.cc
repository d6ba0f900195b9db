// Storage engine benchmarks (docs/benchmarks.md has the figures and commands).
//   build/bin/storage_bench --benchmark_filter=HeadAppend   (also HeadAppendBatch)
//   build/bin/storage_bench --benchmark_filter=DecodeWriteRequest
//   build/bin/storage_bench --benchmark_filter=EngineWriteNewSeries
//   build/bin/storage_bench --benchmark_filter=Search10kOf1M   (builds a 1M-series index first, ~minutes)
//   build/bin/storage_bench --benchmark_filter=SearchAfterFlush
//   build/bin/storage_bench --benchmark_filter=SearchDashboardRegex   (head: arg 0, blocks: arg 1)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>

#include "libs/rpc/proto_convert.h"
#include "libs/rpc/write_wire.h"
#include "libs/storage/engine.h"
#include "libs/storage/head.h"

using namespace strata;
using namespace strata::storage;

namespace {

constexpr int64_t kNow = 1'764'028'800'000;

// Series i of a node_exporter-like set: 64 per instance, 8 cpus x 8 modes.
Labels NodeExporterLike(size_t i) {
  static const char* kModes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
  return *Labels::FromPairs({{"__name__", "node_cpu_seconds_total"},
                             {"instance", "host-" + std::to_string(i / 64) + ":9100"},
                             {"job", "node"},
                             {"cpu", std::to_string((i / 8) % 8)},
                             {"mode", kModes[i % 8]}});
}

std::vector<Labels> NodeExporterLikeSeries(size_t n) {
  std::vector<Labels> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(NodeExporterLike(i));
  return out;
}

// An engine in `dir` without background threads or fsync, its clock reading *now.
EngineOptions BenchOptions(const std::string& dir, int64_t* now) {
  EngineOptions o;
  o.data_dir = dir;
  o.background = false;
  o.wal_fsync = wal::FsyncPolicy::kNever;
  o.clock = [now] { return *now; };
  return o;
}

// Samples appended to the in-memory head per second, 100 series x 10 samples per call.
void BM_HeadAppend(benchmark::State& state) {
  Head head;
  auto series = NodeExporterLikeSeries(10'000);
  std::vector<Sample> batch(10);
  int64_t t = kNow;
  size_t i = 0;
  for (auto _ : state) {
    for (int s = 0; s < 100; ++s, ++i) {
      const Labels& ls = series[i % series.size()];
      for (auto& smp : batch) smp = {t += 15'000, double(t)};
      head.Append(HeadKey{0, ls.Hash()}, ls, batch);
    }
    if (head.NumSamples() > 20'000'000) {
      state.PauseTiming();
      head.Drain();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_HeadAppend);

// The head's share of a Write as the ingest benchmark drives it: calls of 2000 rows
// of one sample each, over 10 000 series in a shuffled order, each series growing
// from empty to 150 samples and then drained (as after a flush). Rows/s.
void BM_HeadAppendBatch(benchmark::State& state) {
  Head head;
  const size_t kSeries = 10'000, kRows = 2000, kPerSeries = 150;
  auto series = NodeExporterLikeSeries(kSeries);
  std::vector<HeadKey> all_keys;
  for (const Labels& ls : series) all_keys.push_back(HeadKey{0, ls.Hash()});
  std::vector<size_t> order(kSeries);
  for (size_t i = 0; i < kSeries; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::vector<HeadKey> keys(kRows);
  std::vector<Sample> values(kRows);
  std::vector<std::span<const Sample>> samples(kRows);
  std::vector<uint8_t> present;
  size_t next = 0;
  int64_t t = kNow;
  for (auto _ : state) {
    for (size_t r = 0; r < kRows; ++r, ++next) {
      if (next == kSeries) next = 0, t += 15'000;
      keys[r] = all_keys[order[next]];
      values[r] = Sample{t, double(r)};
      samples[r] = std::span<const Sample>(&values[r], 1);
    }
    head.AppendIfPresent(keys, samples, &present);
    for (size_t r = 0; r < kRows; ++r) {
      if (!present[r]) head.Append(keys[r], series[order[(next - kRows + r) % kSeries]], samples[r]);
    }
    if (head.NumSamples() >= kSeries * kPerSeries) {
      state.PauseTiming();
      head.Drain();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_HeadAppendBatch);

std::string TempDir() {
  char tmpl[] = "/tmp/strata-bench-XXXXXX";
  return mkdtemp(tmpl);
}

// Reading a Write request in place (libs/rpc/write_wire.h): rows/s for a request of
// 5000 node_exporter-like rows of one sample, the first step of every Write.
void BM_DecodeWriteRequest(benchmark::State& state) {
  auto series = NodeExporterLikeSeries(5000);
  std::string raw;
  std::vector<LabelRef> refs;
  for (size_t i = 0; i < series.size(); ++i) {
    refs.clear();
    for (const Label& l : series[i]) refs.push_back(LabelRef{l.name, l.value});
    const Sample s{kNow + static_cast<int64_t>(i), 1.5 * static_cast<double>(i)};
    AppendSeriesEntry(&raw, Tenant{}, refs, std::span<const Sample>(&s, 1));
  }
  DecodedWrite d;
  for (auto _ : state) {
    if (!DecodeWriteRequest(raw, &d).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(d.rows.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(series.size()));
}
BENCHMARK(BM_DecodeWriteRequest);

// Times engine Writes of 1000 rows of one sample each; row i (counting across
// calls) is row(i, &labels, &sample). Requests are built and serialized untimed:
// the gRPC service hands the engine the bytes it received. The first `untimed`
// rows are written before the clock starts (the series then exist); with `refs`,
// rows from there on go by series id (TimeSeries.series_id) instead of labels.
void WriteBench(benchmark::State& state, const std::function<void(size_t, Labels*, Sample*)>& row,
                size_t untimed = 0, bool refs = false) {
  std::string dir = TempDir();
  int64_t now = kNow;
  EngineOptions o = BenchOptions(dir, &now);
  auto engine = *StorageEngine::Open(o);
  size_t i = 0;
  Labels labels;
  Sample sample;
  auto request = [&](bool by_ref) {
    pb::WriteRequest req;
    for (int s = 0; s < 1000; ++s, ++i) {
      row(i, &labels, &sample);
      auto* ts = req.add_series();
      if (by_ref) {
        ts->set_series_id(labels.Hash());
      } else {
        LabelsToProto(labels, ts->mutable_labels());
      }
      auto* smp = ts->add_samples();
      smp->set_timestamp_ms(sample.t);
      smp->set_value(sample.v);
    }
    return req.SerializeAsString();
  };
  while (i < untimed) {
    pb::WriteResponse resp;
    if (!engine->Write(request(false), &resp).ok()) state.SkipWithError("untimed write failed");
  }
  for (auto _ : state) {
    state.PauseTiming();
    std::string raw = request(refs);
    state.ResumeTiming();
    pb::WriteResponse resp;
    if (!engine->Write(raw, &resp).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  engine.reset();
  std::filesystem::remove_all(dir);
}

// End-to-end Write (validation, WAL without fsync, index, head): samples/s for
// batches of 1000 series x 1 sample, as Prometheus remote_write sends, 100 k series
// cycling.
void BM_EngineWrite(benchmark::State& state) {
  auto series = NodeExporterLikeSeries(100'000);
  int64_t t = kNow - 3'600'000;
  WriteBench(state, [&](size_t i, Labels* labels, Sample* sample) {
    if (i % series.size() == 0) t += 15'000;
    *labels = series[i % series.size()];
    *sample = {t, double(i)};
  });
}
BENCHMARK(BM_EngineWrite)->Unit(benchmark::kMicrosecond);

// The same once every series exists (written before the clock starts), rows with
// labels against rows by series id (ADR 8): the storage side of references.
void EngineWriteSteady(benchmark::State& state, bool refs) {
  auto series = NodeExporterLikeSeries(100'000);
  int64_t t = kNow - 3'600'000;
  WriteBench(
      state,
      [&](size_t i, Labels* labels, Sample* sample) {
        if (i % series.size() == 0) t += 15'000;
        *labels = series[i % series.size()];
        *sample = {t, double(i)};
      },
      series.size(), refs);
}
void BM_EngineWriteSteadyLabels(benchmark::State& state) { EngineWriteSteady(state, false); }
void BM_EngineWriteSteadyRefs(benchmark::State& state) { EngineWriteSteady(state, true); }
BENCHMARK(BM_EngineWriteSteadyLabels)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EngineWriteSteadyRefs)->Unit(benchmark::kMicrosecond);

// Write of series the node has never seen (the index's share of ingest: a record,
// postings and label values each): series/s for batches of 1000 new node_exporter-
// like series x 1 sample.
void BM_EngineWriteNewSeries(benchmark::State& state) {
  WriteBench(state, [](size_t i, Labels* labels, Sample* sample) {
    *labels = NodeExporterLike(i);
    *sample = {kNow - 60'000, double(i)};
  });
}
BENCHMARK(BM_EngineWriteNewSeries)->Unit(benchmark::kMicrosecond)->Iterations(300);

// Search for 10k series (one job label value) among 1M, 1 h at 15 s, blocks
// persisted: series found and streamed with their blocks.
void BM_Search10kOf1M(benchmark::State& state) {
  std::string dir = TempDir();
  int64_t now = kNow;
  EngineOptions o = BenchOptions(dir, &now);
  auto engine = *StorageEngine::Open(o);
  const size_t kSeries = 1'000'000;
  for (size_t base = 0; base < kSeries; base += 10'000) {
    pb::WriteRequest req;
    for (size_t i = base; i < base + 10'000; ++i) {
      auto* ts = req.add_series();
      LabelsToProto(*Labels::FromPairs({{"__name__", "http_requests_total"},
                                        {"job", "job-" + std::to_string(i / 10'000)},
                                        {"instance", "host-" + std::to_string(i) + ":8080"},
                                        {"code", i % 3 ? "200" : "500"}}),
                    ts->mutable_labels());
      for (int k = 0; k < 240; ++k) {
        auto* smp = ts->add_samples();
        smp->set_timestamp_ms(kNow - 3'600'000 + k * 15'000);
        smp->set_value(double(k * 3 + i % 7));
      }
    }
    pb::WriteResponse resp;
    if (!engine->Write(req, &resp).ok()) {
      state.SkipWithError("load failed");
      return;
    }
    if (base % 100'000 == 0) (void)engine->Persist();
  }
  (void)engine->Persist();
  (void)engine->Compact();
  pb::SearchRequest req;
  auto* m = req.add_matchers();
  m->set_type(pb::EQUAL);
  m->set_name("job");
  m->set_value("job-42");
  req.set_min_time_ms(kNow - 3'600'000);
  req.set_max_time_ms(kNow);
  size_t found = 0;
  for (auto _ : state) {
    found = 0;
    (void)engine->Search(req, [&](pb::SearchSeries&& s) {
      benchmark::DoNotOptimize(s);
      ++found;
      return true;
    });
  }
  state.counters["series"] = double(found);
  state.SetItemsProcessed(state.iterations() * found);
  engine.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Search10kOf1M)->Unit(benchmark::kMillisecond)->Iterations(5);

// A dashboard under live ingest: 20k series x 1 h persisted and searched once (the
// search block cache holds them); then each iteration writes one more sample per
// series, flushes the head (as every --head-flush-interval does), every second
// iteration also compacts (--compaction-interval is twice the flush interval), and
// times the first search of all 20k series after that. "maintenance_ms" is the
// flush and compaction. Argument 0 runs without the cache: what every such search
// cost while flushes and compactions retired it.
void BM_SearchAfterFlush(benchmark::State& state) {
  std::string dir = TempDir();
  int64_t now = kNow;
  EngineOptions o = BenchOptions(dir, &now);
  if (state.range(0) == 0) o.series_block_cache_bytes = 0;
  auto engine = *StorageEngine::Open(o);
  constexpr size_t kSeries = 20'000;
  std::vector<Labels> labels;
  for (size_t i = 0; i < kSeries; ++i) {
    labels.push_back(*Labels::FromPairs({{"__name__", "http_requests_total"},
                                         {"instance", "host-" + std::to_string(i / 20) + ":8080"},
                                         {"handler", "/h" + std::to_string(i % 20)}}));
  }
  auto write = [&](int64_t from, int points) {
    pb::WriteRequest req;
    for (size_t i = 0; i < kSeries; ++i) {
      auto* ts = req.add_series();
      LabelsToProto(labels[i], ts->mutable_labels());
      for (int k = 0; k < points; ++k) {
        auto* smp = ts->add_samples();
        smp->set_timestamp_ms(from + k * 15'000);
        smp->set_value(double((from / 15'000 + k) * 3 + i % 7));
      }
    }
    pb::WriteResponse resp;
    return engine->Write(req, &resp).ok();
  };
  int64_t next = kNow - 3'600'000;
  if (!write(next, 240) || !engine->Persist().ok()) {
    state.SkipWithError("load failed");
    return;
  }
  next += 240 * 15'000;
  pb::SearchRequest req;
  auto* m = req.add_matchers();
  m->set_type(pb::EQUAL);
  m->set_name("__name__");
  m->set_value("http_requests_total");
  req.set_min_time_ms(kNow - 3'600'000);
  req.set_max_time_ms(kNow + 3'600'000);
  auto search = [&] {
    size_t found = 0;
    (void)engine->Search(req, [&](pb::SearchSeries&& s) {
      benchmark::DoNotOptimize(s);
      ++found;
      return true;
    });
    return found;
  };
  search();  // fills the block cache
  double flush_ms = 0;
  size_t found = 0;
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    now = next;
    if (!write(next, 1)) state.SkipWithError("write failed");
    next += 15'000;
    auto t0 = std::chrono::steady_clock::now();
    if (!engine->Persist().ok()) state.SkipWithError("flush failed");
    if (++round % 2 == 0 && !engine->Compact().ok()) state.SkipWithError("compaction failed");
    flush_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    state.ResumeTiming();
    found = search();
  }
  state.counters["series"] = double(found);
  state.counters["blocks_compacted"] = double(engine->stats().blocks_compacted);
  state.counters["maintenance_ms"] = flush_ms / double(state.iterations());
  state.counters["cache_hit_ratio"] =
      double(engine->stats().block_cache_hits) /
      double(std::max<uint64_t>(1, engine->stats().block_cache_hits + engine->stats().block_cache_misses));
  engine.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SearchAfterFlush)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(10);

// The search behind select_dashboard_bench's regex query, as select asks for it
// (label entries, packed head samples, wire bytes): 100 000 series of 1 000
// instances, 1 h at 15 s, and `instance=~"host1.*", code=~"5.."` picking 555 of
// them. Argument 0 searches the head; 1 the blocks after a flush (cache warm).
void BM_SearchDashboardRegex(benchmark::State& state) {
  std::string dir = TempDir();
  int64_t now = kNow;
  EngineOptions o = BenchOptions(dir, &now);
  auto engine = *StorageEngine::Open(o);
  static const char* kCodes[] = {"200", "301", "404", "500"};
  constexpr int kInstances = 1000, kPoints = 241;
  for (int inst = 0; inst < kInstances; inst += 50) {
    pb::WriteRequest req;
    for (int h = inst; h < inst + 50; ++h) {
      const std::string instance = "host" + std::to_string(h);
      for (int k = 0; k < 100; ++k) {
        // 20 request counters, the other 80 as other metrics of the instance.
        Labels l = k < 20 ? *Labels::FromPairs({{"__name__", "http_requests_total"},
                                                 {"instance", instance},
                                                 {"job", "api"},
                                                 {"handler", "/h" + std::to_string(k / 4)},
                                                 {"code", kCodes[k % 4]}})
                          : *Labels::FromPairs({{"__name__", "node_cpu_seconds_total"},
                                                 {"instance", instance},
                                                 {"job", "node"},
                                                 {"cpu", std::to_string(k % 8)},
                                                 {"mode", "m" + std::to_string(k / 8)}});
        auto* ts = req.add_series();
        LabelsToProto(l, ts->mutable_labels());
        double v = 0;
        for (int p = 0; p < kPoints; ++p) {
          auto* smp = ts->add_samples();
          smp->set_timestamp_ms(kNow - 3'600'000 + p * 15'000);
          v += double((p * 7919 + h + k) % 100) / 10;
          smp->set_value(v);
        }
      }
    }
    pb::WriteResponse resp;
    if (!engine->Write(req, &resp).ok()) {
      state.SkipWithError("load failed");
      return;
    }
  }
  if (state.range(0) == 1 && !engine->Persist().ok()) state.SkipWithError("flush failed");
  pb::SearchRequest req;
  auto add = [&](pb::MatchType type, const char* name, const char* value) {
    auto* m = req.add_matchers();
    m->set_type(type);
    m->set_name(name);
    m->set_value(value);
  };
  add(pb::EQUAL, "__name__", "http_requests_total");
  add(pb::REGEX, "instance", "host1.*");
  add(pb::REGEX, "code", "5..");
  req.set_min_time_ms(kNow - 3'600'000 - 300'000);
  req.set_max_time_ms(kNow);
  req.set_accept_label_entries(true);
  req.set_accept_packed_samples(true);
  size_t found = 0, bytes = 0;
  for (auto _ : state) {
    found = bytes = 0;
    absl::Status s = engine->SearchWire(req, [&](std::string_view series) {
      ++found;
      bytes += series.size();
      return true;
    });
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.counters["series"] = double(found);
  state.counters["bytes_per_series"] = double(bytes) / double(std::max<size_t>(1, found));
  engine.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SearchDashboardRegex)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(2);

}  // namespace

BENCHMARK_MAIN();
