#include "libs/common/thread_pool.h"

#include <algorithm>

namespace strata {

unsigned HardwareThreads() {
  static const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  return n;
}

ThreadPool::ThreadPool(int threads) {
  workers_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) w->thread = std::thread([this, w = w.get()] { Run(w); });
}

ThreadPool::~ThreadPool() { Join(); }

void ThreadPool::Submit(std::function<void()> task) {
  Worker* wake = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ && workers_.empty()) return;  // joined: never runs
    tasks_.push_back(std::move(task));
    if (!idle_.empty()) {
      wake = idle_.back();
      idle_.pop_back();
      wake->woken = true;
    }
  }
  if (wake != nullptr) wake->cv.notify_one();
}

void ThreadPool::Join() {
  std::vector<std::unique_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (Worker* w : idle_) {
      w->woken = true;
      w->cv.notify_one();
    }
    idle_.clear();
  }
  // Workers are only read by their own threads until they exit.
  for (auto& w : workers_) w->thread.join();
  std::lock_guard<std::mutex> l(mu_);
  workers.swap(workers_);
}

size_t ThreadPool::idle() const {
  std::lock_guard<std::mutex> l(mu_);
  return idle_.size();
}

void ThreadPool::Run(Worker* w) {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (!tasks_.empty()) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      l.unlock();
      task();
      task = nullptr;  // captures are released before the thread idles
      l.lock();
      continue;
    }
    if (stopping_) return;
    w->woken = false;
    idle_.push_back(w);
    w->cv.wait(l, [w] { return w->woken; });
  }
}

}  // namespace strata
