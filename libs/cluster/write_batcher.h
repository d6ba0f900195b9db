// WriteBatcher: coalesces the rows many concurrent insert requests send to one
// storage node into fewer, larger Write calls.
//
// Callers Submit() fragments (serialized WriteRequest.series entries, see
// EncodedRows). A fragment goes out at once while fewer than `max_inflight` calls to
// the node are running; otherwise it waits and joins the next batch, which is sent
// when a call finishes, when it holds `max_batch_bytes` / `max_batch_rows`, or when
// its oldest fragment has waited `max_delay` — whichever comes first. So an idle
// cluster adds no latency and a busy one gets batches bounded by size and time.
//
// Calls start on the thread that made them possible: Submit's caller, or the gRPC
// thread that finished the call whose slot they take. Only the `max_delay` bound
// needs the batcher's own thread, which polls every `max_delay` while fragments keep
// coming. Every hand-off between threads is a context switch (10–20 µs of CPU on the
// build VM); handing each fragment to this thread cost insert ~4 % of its CPU.
//
// Every fragment gets the outcome of the call that carried it: OK means its rows are
// in that node's WAL. When a storage node rejects a batch of several fragments as
// INVALID_ARGUMENT (it rejects whole batches), each fragment is resent alone, so one
// request's bad row never fails another request's rows.
//
//   WriteBatcher batcher(node, {.max_inflight = 2});
//   batcher.Submit({rows.bytes(0), rows.bytes(7)}, 2, [&](const WriteResult& r) {...});
//
// Thread-safe. `done` runs on a gRPC or the batcher's thread and must not block.
// The destructor sends what is queued and waits for every call in flight.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "libs/cluster/storage_nodes.h"

namespace strata {

struct WriteBatcherOptions {
  size_t max_batch_bytes = 4 << 20;         // serialized WriteRequest bytes per call
  size_t max_batch_rows = 10'000;           // rows per call
  std::chrono::microseconds max_delay{2000};  // longest a fragment waits for a busy node
  size_t max_inflight = 1;                  // calls in flight before fragments queue
  std::chrono::milliseconds timeout{5000};  // deadline of one call
};

struct WriteResult {
  absl::Status status;
  uint64_t rejected_samples = 0;  // of this fragment's rows: outside retention etc.
  double seconds = 0;             // duration of the call that carried it
};

class WriteBatcher {
 public:
  using Done = std::function<void(const WriteResult&)>;

  WriteBatcher(std::shared_ptr<StorageNode> node, WriteBatcherOptions opts);
  ~WriteBatcher();

  StorageNode* node() const { return node_.get(); }

  // Queues `rows` rows whose serialized series entries are `pieces` (in order). The
  // pieces' bytes must stay valid until `done` has run.
  void Submit(std::vector<std::string_view> pieces, uint32_t rows, Done done);

  struct Stats {
    uint64_t calls = 0;
    uint64_t fragments = 0;
  };
  Stats stats() const;

 private:
  struct Fragment {
    std::vector<std::string_view> pieces;
    uint32_t rows = 0;
    size_t bytes = 0;
    Done done;
    std::chrono::steady_clock::time_point queued;
  };
  struct Call;

  // Sends what the max_delay bound (or stopping) makes due; waits for calls at the end.
  void TimerLoop();
  // Moves every batch that may go now into *out, taking an in-flight slot for each.
  void TakeReadyLocked(std::chrono::steady_clock::time_point now, std::vector<std::vector<Fragment>>* out);
  // Starts the call for `fragments` (moved in); `counted` when it holds an in-flight slot.
  void Send(std::vector<Fragment> fragments, bool counted);
  void Finish(Call* call, const absl::Status& status);

  std::shared_ptr<StorageNode> node_;
  WriteBatcherOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Fragment> queue_;
  size_t queued_bytes_ = 0;
  size_t queued_rows_ = 0;
  size_t inflight_ = 0;     // calls holding a slot
  size_t outstanding_ = 0;  // every call not finished (the destructor waits for 0)
  bool stopping_ = false;
  bool timer_idle_ = false;  // the timer thread sleeps until the next Submit
  std::chrono::steady_clock::time_point last_submit_;
  Stats stats_;
  std::thread thread_;
};

}  // namespace strata
