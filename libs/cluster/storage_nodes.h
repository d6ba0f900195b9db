// The storage nodes an insert, select or stratactl process talks to.
//
// `--storage-nodes` is a comma list of `host:port`, or `dns+name:port` entries that
// are re-resolved every `refresh` (a StatefulSet's headless Service). Each node has
// one gRPC channel and a health state: a failed call puts it in back-off (1 s
// doubling to 30 s) during which writers skip it; a background prober (NodeInfo)
// brings it back early.
//
//   STRATA_ASSIGN_OR_RETURN(auto nodes, StorageNodes::Create(flag, {}));
//   auto view = nodes->Current();                  // immutable snapshot
//   size_t owner = view->ring.Rank(key, 1)[0];
//   view->nodes[owner]->stub()->Write(...);
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/cluster/rendezvous.h"
#include "libs/cluster/search_streams.h"
#include "libs/cluster/write_streams.h"
#include "storage.grpc.pb.h"

namespace strata {

struct StorageClientOptions {
  std::chrono::milliseconds refresh{30'000};   // dns+ re-resolution period
  std::chrono::milliseconds probe{1'000};      // health probe period for nodes in back-off
  size_t max_message_bytes = 64 << 20;
  bool compress = true;                        // Write calls as zstd WriteCompressed
  // zstd level of those calls. -2 (a fast level) costs ~8 % less insert CPU than 1
  // for ~23 % more bytes (docs/benchmarks.md); the storage node keeps the frame in
  // its WAL as it came.
  int compression_level = -2;
  // Whether this process makes callback-API calls (WriteBatcher does): then Create
  // keeps gRPC's callback threads serving for good (PinCallbackThreads). A process
  // of synchronous calls only (strata-select) sets false and has no such threads:
  // each call's own thread then polls its socket, where a callback thread would read
  // the answer and wake it (3 fewer context switches and ~0.2 ms less a query,
  // docs/benchmarks.md). A callback call made anyway still works; it only risks
  // what PinCallbackThreads works around.
  bool callback_calls = true;
  // Searches on SearchStream calls kept open between them (StorageNode::Search).
  // Off: a Search call each, as before SearchStream existed.
  bool search_streams = true;
  // Writes as messages of WriteStream calls kept open between them (WriteBatcher).
  // Off: a Write call each, as before WriteStream existed.
  bool write_streams = true;
};

class StorageNode {
 public:
  StorageNode(std::string address, const StorageClientOptions& opts);
  // No write may be waiting for its answer.
  ~StorageNode();

  const std::string& address() const { return address_; }
  storage::v1::Storage::Stub* stub() const { return stub_.get(); }
  // Storage.Search with each answer message left as the bytes it came in, for
  // ParseSearchResponse (libs/rpc/search_wire.h) to read in place.
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> SearchBytes(grpc::ClientContext* ctx,
                                                                    const storage::v1::SearchRequest& req) const;
  // One search: hands each answer message, as bytes for ParseSearchResponse, to
  // `on_message` in order, and returns the search's status. `request` is `req`
  // serialized. On a SearchStream call kept open between searches; with the option
  // off, or a node that predates SearchStream (UNIMPLEMENTED, remembered), on a
  // Search call of its own.
  absl::Status Search(const storage::v1::SearchRequest& req, const grpc::ByteBuffer& request,
                      std::chrono::system_clock::time_point deadline,
                      const std::function<void(grpc::ByteBuffer&&)>& on_message) const;

  // The node's WriteStream calls, or nullptr: writes go as a Write call each (the
  // option is off, or the node predates WriteStream).
  WriteStreams* write_streams() const;
  // The node answered a WriteStream call UNIMPLEMENTED: Write calls from now on.
  void WriteStreamsUnsupported() const;

  // False while the node is in back-off after a failure.
  bool Healthy() const;
  // Transport-level failure (UNAVAILABLE, DEADLINE_EXCEEDED...): start/extend back-off.
  void ReportFailure();
  void ReportSuccess();
  // Whether writes to this node go as zstd-compressed WriteCompressed calls.
  bool compress() const { return compress_; }
  int compression_level() const { return compression_level_; }

 private:
  std::string address_;
  bool compress_;
  int compression_level_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<storage::v1::Storage::Stub> stub_;
  std::unique_ptr<grpc::internal::RpcMethod> search_bytes_;
  std::unique_ptr<WriteStreams> write_streams_;  // before stub_ goes
  mutable std::atomic<bool> write_streams_on_{false};
  mutable SearchStreams search_streams_;
  mutable std::atomic<bool> search_streams_on_;
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
};

class StorageNodes {
 public:
  struct View {
    std::vector<std::shared_ptr<StorageNode>> nodes;  // sorted by address
    Rendezvous ring;                                  // over the same addresses
  };

  // InvalidArgument for an empty or malformed spec; Unavailable when a dns+ name
  // does not resolve at start.
  static absl::StatusOr<std::unique_ptr<StorageNodes>> Create(const std::string& spec,
                                                              StorageClientOptions opts);
  ~StorageNodes();

  std::shared_ptr<const View> Current() const;

 private:
  StorageNodes(std::vector<std::string> static_nodes, std::vector<std::string> dns_entries,
               StorageClientOptions opts);
  absl::Status Refresh();
  void Loop();

  std::vector<std::string> static_nodes_;
  std::vector<std::string> dns_entries_;  // "name:port"
  StorageClientOptions opts_;
  mutable std::mutex mu_;
  std::shared_ptr<const View> view_;
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

// `req` serialized as one message, for StorageNode::Search (built once per fan-out).
grpc::ByteBuffer SearchRequestBytes(const storage::v1::SearchRequest& req);

// Parses "a:1,b:2" / "dns+name:port" into entries; InvalidArgument naming a bad one.
absl::StatusOr<std::vector<std::string>> ParseStorageNodes(const std::string& spec);

}  // namespace strata
