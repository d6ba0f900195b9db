#include "libs/cluster/write_streams.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/rpc/grpc_status.h"

namespace strata {

namespace pb = storage::v1;

namespace {
constexpr auto kWatchPeriod = std::chrono::milliseconds(100);
}  // namespace

// One WriteStream call. A read is always outstanding, from the start until the call
// is over: it takes the answer to the write in flight, or sees the call end while
// the call is idle, so an idle call the node ended is dropped before it is used.
//
// Writes start outside reactions, so the call holds one hold (AddHold) until it is
// over and no write can start on it any more; only then may gRPC finish it (OnDone)
// and the call delete itself. Released once, by whichever comes last of: the read
// failing, the sender's StartWrite returning (`sending_`), and an answered write's
// completion (Step). A sender counts itself in `sending_` under the call's lock
// before it starts a write, and an over or released call is never taken, so no write
// starts on a call gRPC may be finishing.
class WriteStreams::Call final : public grpc::ClientBidiReactor<pb::WriteStreamRequest, pb::WriteStreamResponse> {
 public:
  explicit Call(WriteStreams* owner) : owner_(owner) {}

  // A new call, taken by its first sender.
  void Open(pb::Storage::Stub* stub) {
    {
      std::lock_guard<std::mutex> l(mu_);
      sending_ = 1;
    }
    // The call's headers leave with the first write, in one write.
    ctx_.set_initial_metadata_corked(true);
    stub->async()->WriteStream(&ctx_, this);
    AddHold();
    StartRead(&answer_);
    StartCall();
  }

  // Takes an idle call for a write: false when it is over (never used again).
  bool Take() {
    std::lock_guard<std::mutex> l(mu_);
    if (over_ || released_) return false;
    ++sending_;
    return true;
  }

  // Sends p's request; the caller took the call (Open or Take).
  void Send(Pending p) {
    pb::WriteStreamRequest* req = p.req;
    req->set_id(++last_id_);  // only this write's sender touches the call now
    {
      std::lock_guard<std::mutex> l(mu_);
      pending_ = std::move(p);
      has_pending_ = true;
      answered_ = false;
      ops_ = 2;  // the write's completion and the answer
    }
    StartWrite(req);
    bool release;
    {
      std::lock_guard<std::mutex> l(mu_);
      --sending_;
      release = ReleasableLocked();
    }
    if (release) RemoveHold();
  }

  // An answered call back from its sender: true when it may wait for the next
  // write; false when it is over (its hold is then released here).
  bool Returned() {
    bool release;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!over_) return true;
      release = ReleasableLocked();
    }
    if (release) RemoveHold();
    return false;
  }

  // Cancels the call when its write has waited for an answer past its deadline.
  // Called under the owner's lock; reactions run on gRPC's threads, never inside
  // TryCancel, so none can be waiting for that lock here.
  void CancelIfLate(std::chrono::system_clock::time_point now) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!has_pending_ || answered_ || timed_out_ || now < pending_.deadline) return;
      timed_out_ = true;
    }
    ctx_.TryCancel();
  }
  void Cancel() { ctx_.TryCancel(); }
  // Half-closes: the node ends the call, OK, and the read then fails.
  void Close() { StartWritesDone(); }

 private:
  // Whether the hold may go now (and it is then marked gone): the call is over, no
  // sender is starting a write, and no answered write still waits for Step.
  bool ReleasableLocked() {
    if (released_ || !over_ || sending_ > 0 || (has_pending_ && answered_)) return false;
    released_ = true;
    return true;
  }

  void OnWriteDone(bool) override { Step(); }  // a failed write: the read fails too

  void OnReadDone(bool ok) override {
    if (!ok) {  // the call is over; OnDone tells the write in flight, if any
      bool release;
      {
        std::lock_guard<std::mutex> l(mu_);
        over_ = true;
        release = ReleasableLocked();
      }
      if (release) RemoveHold();
      return;
    }
    bool unasked;
    {
      std::lock_guard<std::mutex> l(mu_);
      // The answer must carry its write's id (an error may carry 0: the node could
      // not read the request).
      unasked = !has_pending_ || answered_ ||
                !(answer_.id() == pending_.req->id() || (answer_.id() == 0 && answer_.code() != 0));
      if (!unasked) {
        answered_ = true;
        if (answer_.code() == 0) {
          answer_status_ = absl::OkStatus();
          pending_.resp->Swap(answer_.mutable_response());
        } else if (answer_.code() < 0 || answer_.code() > 16) {
          answer_status_ = absl::DataLossError(absl::StrCat("the storage node answered the write with code ",
                                                            answer_.code(), ": ", answer_.message()));
        } else {
          answer_status_ = absl::Status(static_cast<absl::StatusCode>(answer_.code()), answer_.message());
        }
      }
    }
    if (unasked) {
      // An answer to no write, or to another: this call cannot pair answers.
      violated_ = true;
      ctx_.TryCancel();
    }
    StartRead(&answer_);  // the next write's answer, or the call's end
    if (!unasked) Step();
  }

  // One of a write's two completions; after both (and an answer) the write is done.
  void Step() {
    Pending p;
    absl::Status status;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (--ops_ > 0 || !answered_) return;
      p = std::move(pending_);
      has_pending_ = false;
      status = answer_status_;
    }
    owner_->GiveBack(this);  // first: `done` may send its next write on this call
    p.done(std::move(status));
  }

  void OnDone(const grpc::Status& s) override {
    Pending p;
    bool have, answered, timed_out;
    absl::Status answer;
    {
      std::lock_guard<std::mutex> l(mu_);
      have = has_pending_;
      has_pending_ = false;
      p = std::move(pending_);
      answered = answered_;
      timed_out = timed_out_;
      answer = answer_status_;
    }
    WriteStreams* owner = owner_;
    if (have) {
      if (answered) {
        p.done(std::move(answer));  // the answer came; the write's completion came with the end
      } else if (timed_out) {
        p.done(absl::DeadlineExceededError("the storage node did not answer the write in time"));
      } else if (violated_) {
        p.done(absl::DataLossError("the storage node's answer on the write stream is not this write's"));
      } else if (p.reused) {
        owner->Start(std::move(p), /*allow_reuse=*/false);  // an idle call found over: once more, new
      } else {
        p.done(s.ok() ? absl::UnavailableError("the write stream ended before the node answered")
                      : FromGrpcStatus(s));
      }
    }
    owner->Forget(this);  // last: the owner's destructor may return once every call is done
    delete this;
  }

  WriteStreams* owner_;
  grpc::ClientContext ctx_;
  pb::WriteStreamResponse answer_;
  bool violated_ = false;  // set by OnReadDone, read by OnDone (after every reaction)
  uint64_t last_id_ = 0;   // of the last write sent on this call; only its sender touches it
  std::mutex mu_;
  bool over_ = false;      // the read failed: the node ended the call, or it was cancelled
  bool released_ = false;  // the hold is gone
  int sending_ = 0;        // senders between taking the call and their StartWrite's return
  Pending pending_;
  bool has_pending_ = false;
  bool answered_ = false;
  bool timed_out_ = false;
  int ops_ = 0;
  absl::Status answer_status_;
};

WriteStreams::WriteStreams(pb::Storage::Stub* stub, size_t max_idle) : stub_(stub), max_idle_(max_idle) {}

WriteStreams::~WriteStreams() {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  for (Call* c : live_) c->Cancel();
  cv_.notify_all();
  cv_.wait(l, [this] { return live_.empty(); });
  l.unlock();
  if (watchdog_.joinable()) watchdog_.join();
}

void WriteStreams::Write(pb::WriteStreamRequest* req, pb::WriteResponse* resp,
                         std::chrono::system_clock::time_point deadline, Done done) {
  Pending p;
  p.req = req;
  p.resp = resp;
  p.deadline = deadline;
  p.done = std::move(done);
  Start(std::move(p), /*allow_reuse=*/true);
}

void WriteStreams::Start(Pending p, bool allow_reuse) {
  Call* call = nullptr;
  bool open = false;
  bool wake_watchdog = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      call = nullptr;
    } else {
      while (allow_reuse && call == nullptr && !idle_.empty()) {
        call = idle_.back();
        idle_.pop_back();
        if (!call->Take()) call = nullptr;  // over: OnDone is on its way and forgets it
      }
      p.reused = call != nullptr;
      if (call == nullptr) {
        call = new Call(this);
        live_.push_back(call);
        ++opened_;
        if (!watchdog_.joinable()) watchdog_ = std::thread([this] { Watch(); });
        open = true;
      }
      wake_watchdog = watch_asleep_;
    }
  }
  if (wake_watchdog) cv_.notify_all();
  if (call == nullptr) {
    p.done(absl::UnavailableError("the storage client is closing"));
    return;
  }
  if (open) call->Open(stub_);
  call->Send(std::move(p));
}

void WriteStreams::GiveBack(Call* call) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!call->Returned()) return;  // over: gRPC finishes it
    if (!stopping_ && idle_.size() < max_idle_) {
      idle_.push_back(call);
      return;
    }
  }
  call->Close();
}

void WriteStreams::Forget(Call* call) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase(idle_, call);
  std::erase(live_, call);
  if (live_.empty()) cv_.notify_all();
}

size_t WriteStreams::opened() const {
  std::lock_guard<std::mutex> l(mu_);
  return opened_;
}

size_t WriteStreams::watch_ticks() const {
  std::lock_guard<std::mutex> l(mu_);
  return watch_ticks_;
}

void WriteStreams::Watch() {
  // Every idle call is live too: no busy call means no deadline to watch.
  auto busy = [this] { return live_.size() > idle_.size(); };
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    if (!busy()) {
      watch_asleep_ = true;
      cv_.wait(l, [&] { return stopping_ || busy(); });
      watch_asleep_ = false;
      continue;
    }
    cv_.wait_for(l, kWatchPeriod);
    ++watch_ticks_;
    const auto now = std::chrono::system_clock::now();
    for (Call* c : live_) c->CancelIfLate(now);
  }
}

}  // namespace strata
