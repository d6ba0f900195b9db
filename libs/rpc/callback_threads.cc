#include "libs/rpc/callback_threads.h"

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>

#include <mutex>
#include <thread>

// Exported by libgrpc 1.51 (its header is not installed): false when the callback
// API has no background poller and runs on the "alternative" queue and its nexting
// threads. grpc::Channel and grpc::Server make the same test.
bool grpc_iomgr_run_in_background();

namespace strata {

namespace {

// grpc::CompletionQueue::CallbackAlternativeCQ() is private; an explicit template
// instantiation may name a private member, and this one hands out its address.
using AlternativeQueueFn = grpc::CompletionQueue* (*)();
AlternativeQueueFn AlternativeQueue();
template <AlternativeQueueFn Fn>
struct AlternativeQueueAccess {
  friend AlternativeQueueFn AlternativeQueue() { return Fn; }
};
template struct AlternativeQueueAccess<&grpc::CompletionQueue::CallbackAlternativeCQ>;

// What a nexting thread does, without its deadline and idle sleep: every event on
// the queue is a callback functor, run here.
void ServeForever(grpc_completion_queue* cq) {
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) return;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    auto* functor = static_cast<grpc_completion_queue_functor*>(ev.tag);
    functor->functor_run(functor, ev.success);
  }
}

}  // namespace

void PinCallbackThreads() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc_init();  // sets up iomgr, which the test below reads; never shut down
    // With a background poller (not so on Debian 12) callbacks run on it: there
    // are no nexting threads to pin or to keep serving.
    if (grpc_iomgr_run_in_background()) return;
    // The queue's reference is never released: its threads live as long as the
    // process, and so does the thread serving it here.
    grpc::CompletionQueue* cq = AlternativeQueue()();
    std::thread([cq] { ServeForever(cq->cq()); }).detach();
  });
}

}  // namespace strata
