// WAL append throughput on the real disk: appends/s and MB/s, 1 and 8 appending
// threads, fsync policy `always` and `interval`, 256 B and 4 KiB records.
//
//   build-<you>/bin/wal_bench [--benchmark_min_time=2]
//
// Files go to a fresh directory under $STRATA_BENCH_DIR (default /var/tmp),
// removed afterwards. Counters: items/s = acknowledged appends per second,
// bytes/s = record payload per second, fsyncs_per_append = how well group commit
// amortizes the fsync.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "libs/storage/wal/wal.h"

namespace strata::wal {
namespace {

std::unique_ptr<Wal> g_wal;
std::string g_dir;

std::string BenchRoot() {
  const char* root = std::getenv("STRATA_BENCH_DIR");
  return root != nullptr ? root : "/var/tmp";
}

void Setup(const benchmark::State& state) {
  std::string tmpl = BenchRoot() + "/strata_wal_bench_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  g_dir = tmpl;
  Options opts;
  opts.fsync_policy = state.range(0) == 0 ? FsyncPolicy::kAlways : FsyncPolicy::kInterval;
  opts.fsync_interval = std::chrono::milliseconds(100);
  auto wal = Wal::Open(g_dir, opts);
  if (!wal.ok()) std::abort();
  g_wal = std::move(wal).value();
}

void Teardown(const benchmark::State&) {
  (void)g_wal->Close();
  g_wal.reset();
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

// range(0): 0 = always, 1 = interval; range(1): record bytes.
void BM_Append(benchmark::State& state) {
  const std::string record(static_cast<size_t>(state.range(1)), 'r');
  const Stats before = g_wal->stats();
  for (auto _ : state) {
    auto pos = g_wal->Append(record);
    if (!pos.ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(1));
  if (state.thread_index() == 0) {
    const Stats after = g_wal->stats();
    const double appends = static_cast<double>(after.records_appended - before.records_appended);
    state.counters["fsyncs_per_append"] =
        appends > 0 ? static_cast<double>(after.fsyncs - before.fsyncs) / appends : 0;
    state.counters["records_per_batch"] =
        after.batches > before.batches
            ? appends / static_cast<double>(after.batches - before.batches)
            : 0;
  }
  state.SetLabel(state.range(0) == 0 ? "always" : "interval");
}

BENCHMARK(BM_Append)
    ->ArgsProduct({{0, 1}, {256, 4096}})
    ->ArgNames({"interval", "bytes"})
    ->Threads(1)
    ->Threads(8)
    ->Setup(Setup)
    ->Teardown(Teardown)
    ->UseRealTime();

}  // namespace
}  // namespace strata::wal

BENCHMARK_MAIN();
