// A server-streaming gRPC call answered from one of our threads: the producer hands
// each message to Write() and ends with Finish(); gRPC's callback threads only send.
//
//   auto* r = new StreamReactor<pb::SearchResponse>();
//   pool.Submit([r] {
//     while (more && r->Write(NextBatch())) {}
//     r->WriteLastAndFinish(LastBatch());  // or Finish(status): the last touch of r
//   });
//   return r;
//
// Write queues the message and returns; the callback thread that finishes sending
// one starts the next, so a fast producer is not woken per message (waking it took
// the node from ~430 to ~620 context switches for a search of ~135 messages). The
// producer waits only while kMaxQueued messages are queued, so a call holds at most
// kMaxQueued + 1 however slowly its client reads. The reactor deletes itself once
// gRPC is done with the call.
//
// `Base` is the gRPC reactor: ServerWriteReactor<Msg> for a server-streaming call,
// or ServerBidiReactor<Req, Msg> for a subclass that also reads (SearchStream).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

#include <grpcpp/grpcpp.h>

namespace strata {

template <typename Msg, typename Base = grpc::ServerWriteReactor<Msg>>
class StreamReactor : public Base {
 public:
  static constexpr size_t kMaxQueued = 2;

  // Sends `m` after the messages before it; waits while kMaxQueued are queued.
  // Returns false once the call is over for the client (cancelled, deadline passed,
  // or a send failed): the producer stops and calls Finish.
  bool Write(Msg&& m) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return queued_.size() < kMaxQueued || broken_; });
    if (broken_) return false;
    if (sending_) {
      queued_.push_back(std::move(m));
      return true;
    }
    sending_ = true;
    message_ = std::move(m);
    l.unlock();
    this->StartWrite(&message_);
    return true;
  }

  // True once the client has cancelled or a send failed. A relaxed load: cheap
  // enough to ask for every produced item.
  bool gone() const { return gone_.load(std::memory_order_relaxed); }

  // Waits until every queued message is sent (or the call broke), then ends the
  // call with `status`. After this the reactor may be deleted at any moment.
  void Finish(grpc::Status status) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return !sending_; });
    }
    Base::Finish(std::move(status));
  }

  // Like Write(m) then Finish(OK), but `m` and the trailers leave in one write:
  // Finish after Write waits for the write's completion on a callback thread and
  // then writes the trailers alone, a second trip through the transport (0.4–1 ms
  // of select's Search call on a 555-series search, docs/benchmarks.md). If the
  // call is already over, only ends it and returns false. Either way the call is
  // finished: the reactor may be deleted at any moment after.
  bool WriteLastAndFinish(Msg&& m) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return !sending_; });
      if (!broken_) {
        message_ = std::move(m);
        l.unlock();
        this->StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
        return true;
      }
    }
    Base::Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    return false;
  }

 protected:
  // gRPC runs OnDone only after every reaction has returned, so the producer's
  // Finish cannot delete the reactor under these two.
  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> l(mu_);
    if (!ok) Break();
    if (broken_ || queued_.empty()) {
      sending_ = false;
      queued_.clear();
      cv_.notify_all();
      return;
    }
    message_ = std::move(queued_.front());
    queued_.pop_front();
    cv_.notify_all();  // a producer waiting for room
    l.unlock();
    this->StartWrite(&message_);
  }
  void OnCancel() override {
    std::lock_guard<std::mutex> l(mu_);
    Break();
    cv_.notify_all();
  }
  void OnDone() override { delete this; }

 private:
  void Break() {
    broken_ = true;
    gone_.store(true, std::memory_order_relaxed);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool sending_ = false;  // a StartWrite whose OnWriteDone has not run
  bool broken_ = false;
  std::atomic<bool> gone_{false};
  Msg message_;              // the one being sent
  std::deque<Msg> queued_;   // the ones after it
};

}  // namespace strata
