// A storage node's writes as messages of WriteStream calls kept open between them
// (proto/storage.proto, docs/format/write-stream.md): a write after the first on a
// call pays no call set-up. strata-insert makes ~1 300 Write calls a second at its
// standard load, each costing the node ~60–120 µs and insert ~50 µs of CPU more than
// a message on an open call (docs/benchmarks.md, "Ingestion", twentieth session).
//
//   WriteStreams streams(stub);
//   streams.Write(&req, &resp, deadline, [](absl::Status s) {
//     ...  // OK: every accepted sample of req is in the node's WAL; resp is its answer
//   });
//
// Each write takes an idle call, or opens one, and gives it back once answered, so
// concurrent writes (WriteBatcher's in-flight slots) use calls of their own. Calls
// are callback-API reactors: `done` runs on a gRPC callback thread, as a unary
// callback call's would.
//
// A write's status is the node's answer for it, or the call's when the call ends
// before the answer. A write on an idle call that turns out over before answering
// (the node restarted, or ended it) is sent once more on a new call: a node that
// took it and died before answering gets the same samples twice, which it stores
// once, as a retried Write call's. A call that has not answered by `deadline` is
// cancelled (DeadlineExceeded); deadlines are checked every 100 ms, so one fires up
// to that much late. A node older than WriteStream ends the call UNIMPLEMENTED; the
// write gets that status and nothing was stored (the caller falls back to Write
// calls). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "storage.grpc.pb.h"

namespace strata {

class WriteStreams {
 public:
  using Done = std::function<void(absl::Status)>;

  // At most `max_idle` calls wait for a write; more are closed when answered.
  explicit WriteStreams(storage::v1::Storage::Stub* stub, size_t max_idle = 16);
  // Cancels every call and waits until gRPC is done with each. No write may be
  // waiting for its answer (their `done` would run during this).
  ~WriteStreams();

  // Sends `*req`; once answered, fills *resp and runs `done` with the write's status.
  // `req` and `resp` must stay valid until `done` runs.
  // Sets req->id (the write's number on its call): an answer whose id is not that
  // one (a node that answered twice, or out of turn) ends the call, and the write
  // fails DATA_LOSS rather than take another write's answer.
  void Write(storage::v1::WriteStreamRequest* req, storage::v1::WriteResponse* resp,
             std::chrono::system_clock::time_point deadline, Done done);

  // Calls opened so far (for tests: a write on an idle call opens none).
  size_t opened() const;
  // Deadline checks the watchdog made so far (for tests: none while no write is in
  // flight).
  size_t watch_ticks() const;

 private:
  class Call;
  struct Pending {
    storage::v1::WriteStreamRequest* req = nullptr;
    storage::v1::WriteResponse* resp = nullptr;
    std::chrono::system_clock::time_point deadline;
    Done done;
    bool reused = false;  // sent on an idle call (a second try on a new one if it was over)
  };

  // Sends `p` on an idle call or a new one.
  void Start(Pending p, bool allow_reuse);
  // A call answered its write: back to the idle ones, or closed past max_idle.
  void GiveBack(Call* call);
  // gRPC is done with the call: not idle, not watched.
  void Forget(Call* call);
  void Watch();

  storage::v1::Storage::Stub* stub_;
  const size_t max_idle_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call*> idle_;
  std::vector<Call*> live_;  // every call gRPC is not done with
  size_t opened_ = 0;
  bool stopping_ = false;
  // The watchdog checks deadlines every 100 ms while a call is busy (live, not idle),
  // and otherwise sleeps until Start() wakes it.
  std::thread watchdog_;  // started with the first call
  bool watch_asleep_ = false;
  size_t watch_ticks_ = 0;
};

}  // namespace strata
