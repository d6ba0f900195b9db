// Threads kept for reuse. Run(task) hands the task to an idle thread, or starts a
// new thread when none is idle. A task never waits behind another task, exactly as
// if it had its own std::thread, but steady request traffic stops creating and
// destroying threads per request. That churn was the largest cost of a small
// query: each new thread faults in a fresh stack and allocator cache, and each
// exit hands its stack back with madvise, which flushes the TLB of every core
// (docs/benchmarks.md, "Dashboard queries").
//
//   std::atomic<size_t> next{0};
//   auto work = [&] { for (size_t i; (i = next++) < n;) Work(i); };
//   ThreadCache::Shared().RunWithHelpers(threads - 1, work, work);
//
// A thread idle for longer than `idle_timeout` exits. Tasks must not throw.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace strata {

class ThreadCache {
 public:
  explicit ThreadCache(absl::Duration idle_timeout = absl::Seconds(30));
  // Waits for running tasks to finish and every thread to exit.
  ~ThreadCache();
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;

  // Runs `task` on a thread of its own: an idle one (the most recently idle, whose
  // caches are warmest) or a new one.
  void Run(std::function<void()> task);

  // Runs `own` on the calling thread and `helper` on up to `helpers` cached threads,
  // and returns once `own` has returned and so has every helper that started. A
  // helper not yet scheduled by then never runs: waking a thread can take
  // milliseconds on a busy machine, longer than a small query. So `own` must be
  // able to finish the work alone: typically both claim pieces from a shared
  // counter until none is left.
  void RunWithHelpers(size_t helpers, const std::function<void()>& helper, const std::function<void()>& own);

  // Threads alive (running a task or idle), and of those idle.
  size_t threads() const;
  size_t idle() const;

  // The process-wide cache; never destroyed.
  static ThreadCache& Shared();

 private:
  struct Slot;
  void Loop(std::function<void()> task);

  const absl::Duration idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable exited_;
  std::vector<Slot*> idle_ ABSL_GUARDED_BY(mu_);
  size_t alive_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace strata
