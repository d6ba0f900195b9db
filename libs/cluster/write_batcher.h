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
// Series references (ADR 8, `series_refs`): a row whose series this node has
// acknowledged in full before goes in reference form (its series id instead of its
// labels: ~30 bytes instead of ~250 to encode, compress and send). The batcher
// remembers, per node, which series went in full in a call the node answered OK. A
// node that no longer holds one (it restarted, or the series was deleted) refuses
// the whole call with FAILED_PRECONDITION and stores nothing; the batcher then
// forgets every series it knew for that node and resends the call in full, before
// any fragment gets an answer. What the batcher remembers is only a hint: the node
// checks every reference exactly. A node older than references answers
// INVALID_ARGUMENT (a row without labels); the call is resent in full, and if the
// node takes that, it gets only full rows from then on.
//
// A "call" is a message of one of the node's WriteStream calls (StorageNode::
// write_streams(), one per in-flight slot), or a WriteCompressed / Write call of its
// own when streams are off or the node predates them (it answers UNIMPLEMENTED; the
// batch is then sent again as such a call, and so are later ones).
//
// Every fragment gets the outcome of the call that carried it: OK means its rows are
// in that node's WAL. When a storage node rejects a batch of several fragments as
// INVALID_ARGUMENT (it rejects whole batches), each fragment is resent alone, so one
// request's bad row never fails another request's rows.
//
//   WriteBatcher batcher(node, {.max_inflight = 2});
//   batcher.Submit(std::vector<std::string_view>{rows.bytes(0), rows.bytes(7)}, 2,
//                  [&](const WriteResult& r) {...});
//
// Thread-safe. `done` runs on a gRPC or the batcher's thread and must not block.
// The destructor sends what is queued and waits for every call in flight.
#pragma once

#include <atomic>
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

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "libs/cluster/storage_nodes.h"

namespace strata {

struct WriteBatcherOptions {
  size_t max_batch_bytes = 4 << 20;         // serialized WriteRequest bytes per call
  size_t max_batch_rows = 10'000;           // rows per call
  std::chrono::microseconds max_delay{2000};  // longest a fragment waits for a busy node
  size_t max_inflight = 1;                  // calls in flight before fragments queue
  std::chrono::milliseconds timeout{5000};  // deadline of one call
  bool series_refs = false;                 // send rows of known series by reference
  size_t max_known_series = 1 << 21;        // per node; past it the set starts again empty
};

// One row for Submit: its full series entry and, when it may go by reference, the
// same row in reference form with its tenant key and series id (EncodedRows).
struct RowPiece {
  std::string_view bytes;
  std::string_view ref;  // empty: always sent in full
  uint64_t tenant = 0;
  uint64_t sid = 0;
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
  void Submit(std::vector<RowPiece> pieces, uint32_t rows, Done done);
  // The same for rows that always go in full.
  void Submit(const std::vector<std::string_view>& pieces, uint32_t rows, Done done);

  struct Stats {
    uint64_t calls = 0;
    uint64_t fragments = 0;
    uint64_t ref_rows = 0;        // rows sent in reference form
    uint64_t refused_calls = 0;   // calls refused for an unknown reference, then resent in full
  };
  Stats stats() const;

 private:
  struct Fragment {
    std::vector<RowPiece> pieces;
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
  // Starts the call for `fragments` (moved in); `counted` when it holds an in-flight
  // slot; `full`: no row by reference; `probe`: the full resend of a call with
  // references the node called invalid (its OK means the node predates them).
  void Send(std::vector<Fragment> fragments, bool counted, bool full = false, bool probe = false);
  // Sends a built call as a Write or WriteCompressed call (no WriteStream).
  void SendCall(Call* call, std::chrono::system_clock::time_point deadline);
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
  // Series (tenant key mixed with series id) this node acknowledged in full.
  std::mutex known_mu_;
  absl::flat_hash_set<uint64_t> known_;
  // The node refused reference rows as invalid and took the same rows in full: it
  // predates them (an older strata-storage), so it gets full rows only.
  std::atomic<bool> refs_unsupported_{false};
  std::thread thread_;
};

}  // namespace strata
