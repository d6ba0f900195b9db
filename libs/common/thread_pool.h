// A fixed pool of threads running queued tasks in FIFO order, for blocking work:
// HTTP handlers, WAL group-commit waits off gRPC's callback threads, decoding.
//
//   ThreadPool pool(8);
//   pool.Submit([&] { ... });   // runs on one of the 8 threads
//
// A task goes to the most recently idle thread, whose stack, allocator cache and
// CPU caches are the warmest. A condition variable shared by all workers wakes the
// one that waited longest instead: with 32 HTTP handler threads each paced query ran
// on a thread idle for 31 queries, and select took 7-20x the page faults per query
// (docs/benchmarks.md, "Dashboard queries", eighth session).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace strata {

// std::thread::hardware_concurrency() (at least 1), read once per process: glibc
// reads /sys/devices/system/cpu/online on every call, and queries asked for it
// once each.
unsigned HardwareThreads();

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Join().
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

  // Finishes every queued task (and any they submit), then joins the threads.
  // Tasks submitted afterwards never run. Idempotent.
  void Join();

  // Threads waiting for a task.
  size_t idle() const;

 private:
  struct Worker {
    std::thread thread;
    std::condition_variable cv;
    bool woken = false;  // popped from idle_ by Submit or Join
  };
  void Run(Worker* w);

  mutable std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
  std::vector<Worker*> idle_;  // a stack: the most recently idle at the back
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace strata
