// A server-streaming gRPC call answered from one of our threads: the producer hands
// each message to Write() and ends with Finish(); gRPC's callback threads only send.
//
//   auto* r = new StreamReactor<pb::SearchResponse>();
//   pool.Submit([r] {
//     while (more && r->Write(NextBatch())) {}
//     r->Finish(grpc::Status::OK);  // the producer's last touch of r
//   });
//   return r;
//
// At most one message is being sent while the producer builds the next, so a call
// holds at most two messages however slowly its client reads. The reactor deletes
// itself once gRPC is done with the call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>

#include <grpcpp/grpcpp.h>

namespace strata {

template <typename Msg>
class StreamReactor final : public grpc::ServerWriteReactor<Msg> {
 public:
  // Waits while the previous message is still being sent, then starts sending `m`.
  // Returns false once the call is over for the client (cancelled, deadline passed,
  // or a send failed): the producer stops and calls Finish.
  bool Write(Msg&& m) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return !sending_ || broken_; });
      if (broken_) return false;
      sending_ = true;
      message_ = std::move(m);
    }
    this->StartWrite(&message_);
    return true;
  }

  // True once the client has cancelled or a send failed. A relaxed load: cheap
  // enough to ask for every produced item.
  bool gone() const { return gone_.load(std::memory_order_relaxed); }

  // Waits for the message being sent, then ends the call with `status`. After this
  // the reactor may be deleted at any moment.
  void Finish(grpc::Status status) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return !sending_; });
    }
    grpc::ServerWriteReactor<Msg>::Finish(std::move(status));
  }

 private:
  // gRPC runs OnDone only after every reaction has returned, so the producer's
  // Finish cannot delete the reactor under these two.
  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> l(mu_);
    sending_ = false;
    if (!ok) Break();
    cv_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard<std::mutex> l(mu_);
    Break();
    cv_.notify_all();
  }
  void OnDone() override { delete this; }

  void Break() {
    broken_ = true;
    gone_.store(true, std::memory_order_relaxed);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool sending_ = false;  // a StartWrite whose OnWriteDone has not run
  bool broken_ = false;
  std::atomic<bool> gone_{false};
  Msg message_;  // the one being sent
};

}  // namespace strata
