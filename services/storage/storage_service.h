// The gRPC face of a storage node: proto/storage.proto's Storage service over a
// StorageEngine, with per-method request/error counters and latency histograms.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "libs/common/metrics.h"
#include "libs/common/thread_pool.h"
#include "libs/storage/engine.h"
#include "storage.grpc.pb.h"

namespace strata {

// Write and WriteCompressed are raw callback methods so a body that is not a
// WriteRequest gets INVALID_ARGUMENT naming the problem (generated code would answer
// INTERNAL with no message); they run on `write_pool_` because they block until the
// WAL is durable. A WriteCompressed body inflates to at most `max_write_bytes`.
class StorageService final
    : public storage::v1::Storage::WithRawCallbackMethod_WriteCompressed<
          storage::v1::Storage::WithRawCallbackMethod_Write<storage::v1::Storage::Service>> {
 public:
  // `write_threads` run Write calls; 0 = 2 per core, at least 4. Each call waits for
  // its WAL group commit, and a group takes every append queued meanwhile, so a few
  // threads keep the disk busy; more only wake colder threads (docs/operations.md).
  StorageService(storage::StorageEngine* engine, MetricsRegistry* registry, size_t max_write_bytes = 64 << 20,
                 int write_threads = 0);
  ~StorageService() override;

  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                  grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* WriteCompressed(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                            grpc::ByteBuffer* resp) override;
  grpc::Status Search(grpc::ServerContext* ctx, const storage::v1::SearchRequest* req,
                      grpc::ServerWriter<storage::v1::SearchResponse>* writer) override;
  grpc::Status LabelNames(grpc::ServerContext* ctx, const storage::v1::LabelNamesRequest* req,
                          storage::v1::LabelNamesResponse* resp) override;
  grpc::Status LabelValues(grpc::ServerContext* ctx, const storage::v1::LabelValuesRequest* req,
                           storage::v1::LabelValuesResponse* resp) override;
  grpc::Status TSDBStatus(grpc::ServerContext* ctx, const storage::v1::TSDBStatusRequest* req,
                          storage::v1::TSDBStatusResponse* resp) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const storage::v1::DeleteRequest* req,
                      storage::v1::DeleteResponse* resp) override;
  grpc::Status Export(grpc::ServerContext* ctx, const storage::v1::ExportRequest* req,
                      grpc::ServerWriter<storage::v1::ExportedSeries>* writer) override;
  grpc::Status Import(grpc::ServerContext* ctx, grpc::ServerReader<storage::v1::ExportedSeries>* reader,
                      storage::v1::ImportResponse* resp) override;
  grpc::Status NodeInfo(grpc::ServerContext* ctx, const storage::v1::NodeInfoRequest* req,
                        storage::v1::NodeInfoResponse* resp) override;

 private:
  // Runs `fn`, records the outcome under `method`, converts the status.
  template <typename Fn>
  grpc::Status Run(const char* method, Fn&& fn);
  // Both write methods: on write_pool_, parse (after inflating when `compressed`),
  // write, answer.
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
  ThreadPool write_pool_;
};

}  // namespace strata
