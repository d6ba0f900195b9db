// A storage node's searches over SearchStream calls kept open between searches
// (proto/storage.proto, docs/format/search-stream.md): a search after the first on a
// call pays no call set-up. A new call per search cost ~0.4 ms more than a message
// on an open one when queries come 150 ms apart, as a dashboard's do (gRPC alone,
// docs/benchmarks.md, "Dashboard queries", twentieth session).
//
//   SearchStreams streams(channel);
//   absl::Status s = streams.Search(request, deadline, [&](grpc::ByteBuffer&& m) {
//     ...  // a SearchResponse, the answer's last one included (its `end` is a
//   });    // field SearchResponse readers skip)
//
// Each search takes an idle call, or opens one, and gives it back when its answer
// ended well, so concurrent searches use calls of their own. Every wait happens on
// the searching thread (a completion queue per call): no gRPC callback threads.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace strata {

class SearchStreams {
 public:
  // At most `max_idle` calls wait for a search; more are closed when their search ends.
  explicit SearchStreams(std::shared_ptr<grpc::Channel> channel, size_t max_idle = 16);
  // Cancels the idle calls. No Search may be running.
  ~SearchStreams();

  // Runs one search: writes `request` (a serialized SearchRequest) and hands every
  // answer message to `on_message`, in order. Returns the search's status, the node's
  // error or the call's. At `deadline` the call is cancelled: DeadlineExceeded. An
  // idle call that turns out broken before the first message of this search (the
  // node restarted, or ended it) is dropped and the search runs again on a new call.
  absl::Status Search(const grpc::ByteBuffer& request, std::chrono::system_clock::time_point deadline,
                      const std::function<void(grpc::ByteBuffer&&)>& on_message);

  // Calls opened so far (for tests: a search on an idle call opens none).
  size_t opened() const;

 private:
  class Call;
  // An idle call, or a new one (*reused false).
  std::unique_ptr<Call> Take(bool* reused);
  void GiveBack(std::unique_ptr<Call> call);

  grpc::GenericStub stub_;
  const size_t max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Call>> idle_;
  size_t opened_ = 0;
};

}  // namespace strata
