#include "libs/rpc/callback_threads.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>
#include <mutex>

#include "storage.grpc.pb.h"

namespace strata {

void PinCallbackThreads() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A channel takes its reference at its first callback call and drops it when it
    // is destroyed: this one makes one call and is never destroyed. The address
    // names no listener and the deadline has passed, so the call fails at once
    // without leaving the process.
    auto* channel = new std::shared_ptr<grpc::Channel>(
        grpc::CreateChannel("unix-abstract:strata-callback-threads-pin", grpc::InsecureChannelCredentials()));
    auto stub = storage::v1::Storage::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
    storage::v1::NodeInfoRequest req;
    storage::v1::NodeInfoResponse resp;
    std::promise<void> done;
    stub->async()->NodeInfo(&ctx, &req, &resp, [&done](grpc::Status) { done.set_value(); });
    done.get_future().wait();
  });
}

}  // namespace strata
