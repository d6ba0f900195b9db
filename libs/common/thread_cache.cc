#include "libs/common/thread_cache.h"

#include <algorithm>
#include <memory>
#include <thread>

namespace strata {

struct ThreadCache::Slot {
  std::condition_variable cv;
  std::function<void()> task;  // handed over by Run while the slot is idle
  bool stop = false;
};

ThreadCache::ThreadCache(absl::Duration idle_timeout) : idle_timeout_(idle_timeout) {}

ThreadCache::~ThreadCache() {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  for (Slot* s : idle_) {
    s->stop = true;
    s->cv.notify_one();
  }
  exited_.wait(l, [&] { return alive_ == 0; });
}

void ThreadCache::Run(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!idle_.empty()) {
      Slot* s = idle_.back();
      idle_.pop_back();
      s->task = std::move(task);
      s->cv.notify_one();
      return;
    }
    ++alive_;
  }
  std::thread([this, t = std::move(task)]() mutable { Loop(std::move(t)); }).detach();
}

void ThreadCache::Loop(std::function<void()> task) {
  Slot slot;
  std::unique_lock<std::mutex> l(mu_, std::defer_lock);
  for (;;) {
    task();
    task = nullptr;
    l.lock();
    if (stopping_) break;
    idle_.push_back(&slot);
    const bool woken = slot.cv.wait_for(l, absl::ToChronoNanoseconds(idle_timeout_),
                                        [&] { return slot.task != nullptr || slot.stop; });
    if (woken && slot.task != nullptr) {
      task = std::move(slot.task);
      slot.task = nullptr;
      l.unlock();
      continue;
    }
    // Timed out or stopping: still listed as idle, since Run takes a slot and
    // hands it a task under the same lock.
    idle_.erase(std::find(idle_.begin(), idle_.end(), &slot));
    break;
  }
  if (--alive_ == 0) exited_.notify_all();
}

void ThreadCache::RunWithHelpers(size_t helpers, const std::function<void()>& helper,
                                 const std::function<void()>& own) {
  // Shared with the helper tasks, which may start after this call has returned.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
    bool closed = false;
  };
  auto st = std::make_shared<State>();
  for (size_t i = 0; i < helpers; ++i) {
    Run([st, &helper] {
      {
        std::lock_guard<std::mutex> l(st->mu);
        if (st->closed) return;  // too late: `helper` may be gone
        ++st->active;
      }
      helper();
      std::lock_guard<std::mutex> l(st->mu);
      if (--st->active == 0 && st->closed) st->cv.notify_all();
    });
  }
  own();
  std::unique_lock<std::mutex> l(st->mu);
  st->closed = true;
  st->cv.wait(l, [&] { return st->active == 0; });
}

size_t ThreadCache::threads() const {
  std::lock_guard<std::mutex> l(mu_);
  return alive_;
}

size_t ThreadCache::idle() const {
  std::lock_guard<std::mutex> l(mu_);
  return idle_.size();
}

ThreadCache& ThreadCache::Shared() {
  static ThreadCache* cache = new ThreadCache();
  return *cache;
}

}  // namespace strata
