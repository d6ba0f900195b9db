#include "libs/common/thread_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "libs/common/eventually_testing.h"

using strata::Eventually;
using strata::ThreadPool;

TEST_CASE("a pool runs every task, all threads at once") {
  ThreadPool pool(4);
  absl::BlockingCounter started(4);
  absl::Notification release;
  std::atomic<int> done{0};
  // Four tasks that each wait for all four to start: they need four threads.
  for (int i = 0; i < 4; ++i) {
    pool.Submit([&] {
      started.DecrementCount();
      release.WaitForNotification();
      ++done;
    });
  }
  started.Wait();
  release.Notify();
  for (int i = 0; i < 100; ++i) pool.Submit([&] { ++done; });
  pool.Join();
  CHECK(done == 104);
}

TEST_CASE("a pool of one thread runs tasks in the order submitted") {
  ThreadPool pool(1);
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) pool.Submit([&order, i] { order.push_back(i); });
  pool.Join();
  REQUIRE(order.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(order[i] == i);
}

TEST_CASE("a task goes to the most recently idle thread") {
  ThreadPool pool(8);
  REQUIRE(Eventually([&] { return pool.idle() == 8; }));
  std::set<std::thread::id> used;
  for (int i = 0; i < 40; ++i) {
    absl::Notification ran;
    std::thread::id id;
    pool.Submit([&] {
      id = std::this_thread::get_id();
      ran.Notify();
    });
    ran.WaitForNotification();
    REQUIRE(Eventually([&] { return pool.idle() == 8; }));  // back on the idle stack
    used.insert(id);
  }
  // A shared condition variable wakes the longest-idle thread: all eight in turn.
  CHECK(used.size() == 1);
}

TEST_CASE("Join finishes queued tasks and the tasks they submit, later tasks never run") {
  std::atomic<int> done{0};
  ThreadPool pool(2);
  absl::Notification release;
  pool.Submit([&] { release.WaitForNotification(); });
  for (int i = 0; i < 10; ++i) {
    pool.Submit([&] {
      ++done;
      pool.Submit([&] { ++done; });
    });
  }
  release.Notify();
  pool.Join();
  CHECK(done == 20);
  pool.Submit([&] { ++done; });
  pool.Join();  // idempotent
  CHECK(done == 20);
}
