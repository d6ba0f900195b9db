// The gRPC face of a storage node: proto/storage.proto's Storage service over a
// StorageEngine, with per-method request/error counters and latency histograms.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "libs/common/metrics.h"
#include "libs/common/thread_pool.h"
#include "libs/storage/engine.h"
#include "storage.grpc.pb.h"

namespace strata {

// Every method is a callback method whose work runs on a pool of ours, never on
// gRPC's callback threads, and the node has no synchronous-API threads at all. A
// server mixing both kept ~100 ms stalls: a Search arriving while the only polling
// thread was one of the callback threads in a timed wait sat there until the wait
// ended (docs/benchmarks.md, "Dashboard queries", thirteenth session).
//
// Write and WriteCompressed are raw methods so a body that is not a WriteRequest
// gets INVALID_ARGUMENT naming the problem (generated code would answer INTERNAL
// with no message); they run on `write_pool_` because they block until the WAL is
// durable. A WriteCompressed body inflates to at most `max_write_bytes`. The rest
// run on `read_pool_`; Search and Export stream through a StreamReactor.
//
// SearchStream serves one search after another on a call (proto/storage.proto),
// each recorded as a Search; WriteStream one write after another on write_pool_,
// each recorded as a WriteStream.
using StorageCallbackBase = storage::v1::Storage::WithRawCallbackMethod_WriteStream<
    storage::v1::Storage::WithRawCallbackMethod_WriteCompressed<
    storage::v1::Storage::WithRawCallbackMethod_Write<storage::v1::Storage::WithRawCallbackMethod_Search<
        storage::v1::Storage::WithRawCallbackMethod_SearchStream<
            storage::v1::Storage::WithCallbackMethod_LabelNames<storage::v1::Storage::WithCallbackMethod_LabelValues<
                storage::v1::Storage::WithCallbackMethod_TSDBStatus<storage::v1::Storage::WithCallbackMethod_Delete<
                    storage::v1::Storage::WithCallbackMethod_Export<storage::v1::Storage::WithCallbackMethod_Import<
                        storage::v1::Storage::WithCallbackMethod_NodeInfo<storage::v1::Storage::Service>>>>>>>>>>>>;

class StorageService final : public StorageCallbackBase {
 public:
  // `write_threads` run Write calls; 0 = 2 per core, at least 4. Each call waits for
  // its WAL group commit, and a group takes every append queued meanwhile, so a few
  // threads keep the disk busy; more only wake colder threads (docs/operations.md).
  // `read_threads` run every other call; 0 = 4 per core, at least 16. A search whose
  // client reads slowly holds its thread, so there are more than cores.
  StorageService(storage::StorageEngine* engine, MetricsRegistry* registry, size_t max_write_bytes = 64 << 20,
                 int write_threads = 0, int read_threads = 0);
  // Stop().
  ~StorageService() override;

  // Ends every SearchStream and WriteStream call that waits for its next request
  // (CANCELLED), and makes those serving one end after it (OK). Call before the
  // gRPC server's Shutdown, which would otherwise wait its whole deadline for calls
  // a client keeps open.
  void EndStreams();

  // Finishes the work already queued and joins both pools. Call after the gRPC
  // server's Shutdown and before the engine closes.
  void Stop();

  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                  grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* WriteCompressed(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                            grpc::ByteBuffer* resp) override;
  // Raw: the answer goes as the engine writes it (StorageEngine::SearchWire).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Search(grpc::CallbackServerContext* ctx,
                                                     const grpc::ByteBuffer* req) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SearchStream(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* WriteStream(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LabelNames(grpc::CallbackServerContext* ctx, const storage::v1::LabelNamesRequest* req,
                                       storage::v1::LabelNamesResponse* resp) override;
  grpc::ServerUnaryReactor* LabelValues(grpc::CallbackServerContext* ctx,
                                        const storage::v1::LabelValuesRequest* req,
                                        storage::v1::LabelValuesResponse* resp) override;
  grpc::ServerUnaryReactor* TSDBStatus(grpc::CallbackServerContext* ctx, const storage::v1::TSDBStatusRequest* req,
                                       storage::v1::TSDBStatusResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const storage::v1::DeleteRequest* req,
                                   storage::v1::DeleteResponse* resp) override;
  grpc::ServerWriteReactor<storage::v1::ExportedSeries>* Export(grpc::CallbackServerContext* ctx,
                                                                const storage::v1::ExportRequest* req) override;
  grpc::ServerReadReactor<storage::v1::ExportedSeries>* Import(grpc::CallbackServerContext* ctx,
                                                               storage::v1::ImportResponse* resp) override;
  grpc::ServerUnaryReactor* NodeInfo(grpc::CallbackServerContext* ctx, const storage::v1::NodeInfoRequest* req,
                                     storage::v1::NodeInfoResponse* resp) override;

 private:
  // Runs `fn`, records the outcome under `method`, converts the status.
  template <typename Fn>
  grpc::Status Run(const char* method, Fn&& fn);
  // Records a call of `method` that began at `start` and ended with `s`.
  void Record(const char* method, std::chrono::steady_clock::time_point start, const absl::Status& s);
  // A unary call: `fn` runs on read_pool_ and its status ends the call.
  template <typename Fn>
  grpc::ServerUnaryReactor* OnReadPool(grpc::CallbackServerContext* ctx, const char* method, Fn fn);
  class ImportReactor;
  class RequestStreamReactor;
  // A SearchStream or WriteStream call, each request served on `pool` by `serve`.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StartStream(
      grpc::CallbackServerContext* ctx, ThreadPool* pool,
      bool (StorageService::*serve)(const grpc::ByteBuffer&, RequestStreamReactor*));
  // One search of a SearchStream call: its messages, the last one led by `end`.
  bool ServeSearch(const grpc::ByteBuffer& request, RequestStreamReactor* reactor);
  // One write of a WriteStream call: its WriteStreamResponse.
  bool ServeWrite(const grpc::ByteBuffer& request, RequestStreamReactor* reactor);
  // Runs the search `raw_req` and hands every full answer message to
  // `reactor->Write`; the answer's last message, unsent and possibly empty, is left
  // in *last. Cancelled when the client went away.
  template <typename Reactor>
  absl::Status SearchMessages(const grpc::ByteBuffer& raw_req, Reactor* reactor, std::string* last);
  // What a write body is: a WriteRequest, a CompressedWriteRequest, or a
  // WriteStreamRequest (either).
  enum class WriteKind { kPlain, kCompressed, kStream };
  // Parses `req` as `kind`, inflates a zstd frame, writes to the engine. *id gets a
  // WriteStreamRequest's id once parsed.
  absl::Status WriteBody(const grpc::ByteBuffer& req, WriteKind kind, storage::v1::WriteResponse* out,
                         uint64_t* id = nullptr);
  // Both write methods: on write_pool_, WriteBody, answer.
  grpc::ServerUnaryReactor* HandleWrite(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                        grpc::ByteBuffer* resp, bool compressed);

  // One write call's body, its wrapper and inflated bytes. Sets are reused: multi-MiB
  // buffers allocated afresh for every call were a few % of a node's ingest CPU in
  // page faults. At most kFreeWriteBuffers sets of at most kKeptWriteBufferBytes wait.
  struct WriteBuffers;
  static constexpr size_t kFreeWriteBuffers = 4;
  static constexpr size_t kKeptWriteBufferBytes = 16 << 20;
  std::unique_ptr<WriteBuffers> TakeWriteBuffers();
  void ReturnWriteBuffers(std::unique_ptr<WriteBuffers> b);

  storage::StorageEngine* engine_;
  size_t max_write_bytes_;
  std::mutex buffers_mu_;
  std::vector<std::unique_ptr<WriteBuffers>> free_buffers_;
  CounterFamily& requests_;
  HistogramFamily& latency_;
  // Live SearchStream and WriteStream calls, and whether EndStreams ran.
  std::mutex streams_mu_;
  std::vector<RequestStreamReactor*> streams_;
  bool streams_ending_ = false;
  ThreadPool write_pool_;
  ThreadPool read_pool_;
};

}  // namespace strata
