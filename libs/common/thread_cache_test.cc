#include "libs/common/thread_cache.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "libs/common/eventually_testing.h"

using strata::Eventually;
using strata::ThreadCache;

TEST_CASE("every task gets a thread of its own: none waits behind another") {
  ThreadCache cache;
  constexpr int kTasks = 16;
  absl::BlockingCounter started(kTasks), finished(kTasks);
  absl::Notification release;
  // Each task blocks until all have started: run one after another they would hang.
  for (int i = 0; i < kTasks; ++i) {
    cache.Run([&] {
      started.DecrementCount();
      release.WaitForNotification();
      finished.DecrementCount();
    });
  }
  started.Wait();
  CHECK(cache.threads() == kTasks);
  release.Notify();
  finished.Wait();
  REQUIRE(Eventually([&] { return cache.idle() == kTasks; }));
}

TEST_CASE("an idle thread is reused instead of starting a new one") {
  ThreadCache cache;
  std::set<std::thread::id> ids;
  std::mutex mu;
  for (int round = 0; round < 50; ++round) {
    absl::Notification done;
    cache.Run([&] {
      std::lock_guard<std::mutex> l(mu);
      ids.insert(std::this_thread::get_id());
      done.Notify();
    });
    done.WaitForNotification();
    REQUIRE(Eventually([&] { return cache.idle() == 1; }));
  }
  CHECK(ids.size() == 1);
  CHECK(cache.threads() == 1);

  // Two at once need two threads; afterwards both stay for reuse.
  absl::BlockingCounter both(2);
  absl::Notification go;
  for (int i = 0; i < 2; ++i) {
    cache.Run([&] {
      both.DecrementCount();
      go.WaitForNotification();
    });
  }
  both.Wait();
  CHECK(cache.threads() == 2);
  go.Notify();
  REQUIRE(Eventually([&] { return cache.idle() == 2; }));
}

TEST_CASE("idle threads exit after the idle timeout") {
  ThreadCache cache(absl::Milliseconds(20));
  absl::BlockingCounter done(3);
  for (int i = 0; i < 3; ++i) cache.Run([&] { done.DecrementCount(); });
  done.Wait();
  REQUIRE(Eventually([&] { return cache.threads() == 0; }));
  CHECK(cache.idle() == 0);
  // And the cache still works afterwards.
  absl::Notification again;
  cache.Run([&] { again.Notify(); });
  again.WaitForNotification();
}

TEST_CASE("destroying the cache waits for running tasks") {
  std::atomic<bool> finished{false};
  absl::Notification running;
  {
    ThreadCache cache;
    cache.Run([&] {
      running.Notify();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
    });
    running.WaitForNotification();
  }
  CHECK(finished.load());
}

TEST_CASE("RunWithHelpers: shared work is done once, and a helper that started is waited for") {
  ThreadCache cache;
  constexpr size_t kItems = 10'000;
  std::vector<std::atomic<int>> done(kItems);
  std::atomic<size_t> next{0};
  const std::function<void()> work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < kItems;) done[i].fetch_add(1);
  };
  cache.RunWithHelpers(3, work, work);
  for (size_t i = 0; i < kItems; ++i) REQUIRE(done[i].load() == 1);

  // The caller returns at once, but only after the helper it saw start is done.
  absl::Notification helper_started;
  std::atomic<bool> helper_finished{false};
  const std::function<void()> slow_helper = [&] {
    helper_started.Notify();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    helper_finished = true;
  };
  cache.RunWithHelpers(1, slow_helper, [&] { helper_started.WaitForNotification(); });
  CHECK(helper_finished.load());

  // No helpers: only the caller's part runs.
  int own_runs = 0;
  cache.RunWithHelpers(0, [] { FAIL("a helper ran"); }, [&] { ++own_runs; });
  CHECK(own_runs == 1);
}
