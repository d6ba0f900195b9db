// Group commit under concurrent appenders.
#include <atomic>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/storage/wal/env.h"
#include "libs/storage/wal/fault_injection_env.h"
#include "libs/storage/wal/wal.h"
#include "libs/storage/wal/wal_test_util.h"

namespace strata::wal {
namespace {

using testing::Replayed;
using testing::ReplayAll;
using testing::TempDir;

TEST_CASE("concurrent appenders: all durable, positions unique, fsyncs batched",
          "[wal][concurrency]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.segment_size = 256 << 10;  // rolls a few times during the run
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  std::vector<std::vector<Position>> positions(kThreads);
  std::set<std::string> acked;
  {
    auto wal = Wal::Open(dir.path(), opts);
    REQUIRE(wal.ok());
    const uint64_t syncs_before = env.sync_count();
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string rec = "t" + std::to_string(t) + "-" + std::to_string(i) +
                            std::string(static_cast<size_t>(i % 7) * 13, 'x');
          auto pos = (*wal)->Append(rec);
          if (!pos.ok()) {
            ++failures;
            return;
          }
          positions[t].push_back(*pos);
        }
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(failures == 0);
    const Stats st = (*wal)->stats();
    const uint64_t appends = kThreads * kPerThread;
    CHECK(st.records_appended == appends);
    // Group commit: far fewer fsyncs and write batches than appends.
    const uint64_t syncs = env.sync_count() - syncs_before;
    INFO("fsyncs " << syncs << " batches " << st.batches << " for " << appends << " appends");
    CHECK(syncs < appends);
    CHECK(st.batches < appends);
    // Crash right away: acknowledged means synced.
    env.SetActive(false);
    wal->reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);

  // Each thread's positions increase (its appends are ordered) and none repeat.
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (const auto& per : positions) {
    REQUIRE(per.size() == kPerThread);
    for (size_t i = 1; i < per.size(); ++i) CHECK(per[i - 1] < per[i]);
    for (const Position& p : per) CHECK(seen.insert({p.segment, p.offset}).second);
  }

  auto wal = Wal::Open(dir.path(), opts);
  REQUIRE(wal.ok());
  Replayed got;
  REQUIRE(ReplayAll(**wal, &got).ok());
  CHECK(got.records.size() == kThreads * kPerThread);
  // Replay order is position order, and each thread's records appear in its order.
  for (size_t i = 1; i < got.positions.size(); ++i) CHECK(got.positions[i - 1] < got.positions[i]);
  std::vector<int> next(kThreads, 0);
  for (const std::string& r : got.records) {
    int t = std::stoi(r.substr(1, r.find('-') - 1));
    int i = std::stoi(r.substr(r.find('-') + 1));
    CHECK(i == next[t]);
    next[t] = i + 1;
  }
}

TEST_CASE("a failing fsync reaches every waiting appender", "[wal][concurrency]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  auto wal = Wal::Open(dir.path(), opts);
  REQUIRE(wal.ok());
  env.SetSyncError(absl::InternalError("EIO"));
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if ((*wal)->Append("x").ok()) {
          ++ok;
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 0);
  CHECK(failed == kThreads * 20);
  CHECK((*wal)->stats().records_appended == 0);
}

TEST_CASE("replay runs safely while appends continue", "[wal][concurrency]") {
  TempDir dir;
  Options opts;
  opts.fsync_policy = FsyncPolicy::kNever;
  opts.segment_size = 16 << 10;
  auto wal = Wal::Open(dir.path(), opts);
  REQUIRE(wal.ok());
  constexpr int kRecords = 5000;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; i < kRecords && !stop; ++i) {
      if (!(*wal)->Append("rec" + std::to_string(i)).ok()) ++failures;
    }
  });
  for (int round = 0; round < 10; ++round) {
    Replayed got;
    REQUIRE(ReplayAll(**wal, &got).ok());
    for (size_t i = 0; i < got.records.size(); ++i) {
      REQUIRE(got.records[i] == "rec" + std::to_string(i));
    }
  }
  stop = true;
  writer.join();
  CHECK(failures == 0);
}

}  // namespace
}  // namespace strata::wal
