#include "services/storage/storage_service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "libs/rpc/grpc_status.h"
#include "libs/rpc/zstd_frame.h"
#include "services/storage/stream_reactor.h"
#include "spdlog/spdlog.h"

namespace strata {

namespace pb = storage::v1;

namespace {
// Search answers are streamed in messages of about this many bytes. Each message
// costs a hand-off between threads on both ends; at 128 KiB, `sum(rate(...))` over
// head data took 2.8x the storage node's context switches of 512 KiB and ~20 % more
// CPU in both processes; 1 MiB gained nothing more (docs/benchmarks.md).
constexpr size_t kStreamBatchBytes = 512 << 10;

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

// A message of `bytes` that gRPC sends without copying them.
grpc::ByteBuffer OwningByteBuffer(std::string&& bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

// Parses a raw request; false when it is not a `Msg`.
template <typename Msg>
bool ParseRequest(const grpc::ByteBuffer& raw, Msg* out) {
  std::vector<grpc::Slice> slices;
  if (!raw.Dump(&slices).ok()) return false;
  if (slices.size() == 1) return out->ParseFromArray(slices[0].begin(), static_cast<int>(slices[0].size()));
  std::string bytes;
  for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return out->ParseFromString(bytes);
}
}  // namespace

namespace {

int WriteThreads(int flag) {
  if (flag > 0) return flag;
  return static_cast<int>(std::max(4u, 2 * HardwareThreads()));
}

int ReadThreads(int flag) {
  if (flag > 0) return flag;
  return static_cast<int>(std::max(16u, 4 * HardwareThreads()));
}

}  // namespace

StorageService::StorageService(storage::StorageEngine* engine, MetricsRegistry* registry, size_t max_write_bytes,
                               int write_threads, int read_threads)
    : engine_(engine),
      max_write_bytes_(max_write_bytes),
      requests_(registry->AddCounterFamily("strata_storage_rpc_requests_total",
                                           "gRPC requests served, by method and status code.", {"method", "code"})),
      latency_(registry->AddHistogramFamily("strata_storage_rpc_duration_seconds",
                                            "gRPC request latency by method.", {"method"}, LatencyBuckets())),
      write_pool_(WriteThreads(write_threads)),
      read_pool_(ReadThreads(read_threads)) {}

StorageService::~StorageService() { Stop(); }

void StorageService::Stop() {
  read_pool_.Join();
  write_pool_.Join();
}

void StorageService::Record(const char* method, std::chrono::steady_clock::time_point start, const absl::Status& s) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  latency_.WithLabels({method}).Observe(secs);
  requests_.WithLabels({method, CodeName(s.code())}).Inc();
  // Expected refusals are counted, not logged: bad client input, cancelled calls and
  // reference rows a restarted node no longer knows (the writer resends them).
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument && s.code() != absl::StatusCode::kCancelled &&
      !storage::IsUnknownSeriesReference(s)) {
    spdlog::warn("{}: {}", method, std::string(s.message()));
  }
}

template <typename Fn>
grpc::Status StorageService::Run(const char* method, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  absl::Status s = fn();
  Record(method, start, s);
  return ToGrpcStatus(s);
}

template <typename Fn>
grpc::ServerUnaryReactor* StorageService::OnReadPool(grpc::CallbackServerContext* ctx, const char* method, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  read_pool_.Submit([this, reactor, method, fn = std::move(fn)] { reactor->Finish(Run(method, fn)); });
  return reactor;
}

grpc::ServerUnaryReactor* StorageService::Write(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                                grpc::ByteBuffer* resp) {
  return HandleWrite(ctx, req, resp, /*compressed=*/false);
}

grpc::ServerUnaryReactor* StorageService::WriteCompressed(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* req, grpc::ByteBuffer* resp) {
  return HandleWrite(ctx, req, resp, /*compressed=*/true);
}

struct StorageService::WriteBuffers {
  std::string bytes;
  pb::CompressedWriteRequest wrapper;
  std::string raw;
};

std::unique_ptr<StorageService::WriteBuffers> StorageService::TakeWriteBuffers() {
  {
    std::lock_guard<std::mutex> lock(buffers_mu_);
    if (!free_buffers_.empty()) {
      std::unique_ptr<WriteBuffers> b = std::move(free_buffers_.back());
      free_buffers_.pop_back();
      return b;
    }
  }
  return std::make_unique<WriteBuffers>();
}

void StorageService::ReturnWriteBuffers(std::unique_ptr<WriteBuffers> b) {
  if (b->bytes.capacity() + b->raw.capacity() + b->wrapper.zstd_write_request().capacity() > kKeptWriteBufferBytes) {
    return;  // an unusually large call: its memory goes back
  }
  b->bytes.clear();
  b->raw.clear();
  std::lock_guard<std::mutex> lock(buffers_mu_);
  if (free_buffers_.size() < kFreeWriteBuffers) free_buffers_.push_back(std::move(b));
}

grpc::ServerUnaryReactor* StorageService::HandleWrite(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                                      grpc::ByteBuffer* resp, bool compressed) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  write_pool_.Submit([this, req, resp, reactor, compressed] {
    pb::WriteResponse out;
    grpc::Status status = Run(compressed ? "WriteCompressed" : "Write", [&]() -> absl::Status {
      std::vector<grpc::Slice> slices;
      if (!req->Dump(&slices).ok()) return absl::InvalidArgumentError("unreadable request body");
      std::unique_ptr<WriteBuffers> buffers = TakeWriteBuffers();
      absl::Cleanup give_back = [&] { ReturnWriteBuffers(std::move(buffers)); };
      std::string& bytes = buffers->bytes;
      for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      if (compressed) {
        pb::CompressedWriteRequest& wrapper = buffers->wrapper;
        std::string& raw = buffers->raw;
        if (!wrapper.ParseFromString(bytes)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "request body (", bytes.size(), " bytes) is not a valid strata.storage.v1.CompressedWriteRequest"));
        }
        if (absl::Status s = ZstdDecompress(wrapper.zstd_write_request(), max_write_bytes_, &raw); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("zstd_write_request: ", s.message()));
        }
        // The WAL keeps the frame as it came: fewer bytes to write and sync.
        return engine_->Write(raw, &out, wrapper.zstd_write_request());
      }
      // Read in place by the engine (libs/rpc/write_wire.h): no protobuf objects.
      return engine_->Write(bytes, &out);
    });
    if (status.ok()) {
      std::string bytes = out.SerializeAsString();
      grpc::Slice slice(bytes);
      *resp = grpc::ByteBuffer(&slice, 1);
    }
    reactor->Finish(status);
  });
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::Search(grpc::CallbackServerContext*,
                                                                   const grpc::ByteBuffer* raw_req) {
  auto* reactor = new StreamReactor<grpc::ByteBuffer>();
  read_pool_.Submit([this, raw_req, reactor] {
    bool finished = false;  // by WriteLastAndFinish
    grpc::Status status = Run("Search", [&]() -> absl::Status {
      pb::SearchRequest req;
      if (!ParseRequest(*raw_req, &req)) {
        return absl::InvalidArgumentError("request body is not a valid strata.storage.v1.SearchRequest");
      }
      // The series fields joined are a SearchResponse message. Each message gets
      // its full size at once: grown by doubling, it was copied ~1x over again.
      std::string batch;
      batch.reserve(kStreamBatchBytes + (64 << 10));
      bool ok = true;
      absl::Status s = engine_->SearchWire(req, [&](std::string_view series) {
        if (reactor->gone()) return ok = false;
        batch.append(series);
        if (batch.size() >= kStreamBatchBytes) {
          ok = reactor->Write(OwningByteBuffer(std::move(batch)));
          batch = std::string();
          batch.reserve(kStreamBatchBytes + (64 << 10));
        }
        return ok;
      });
      if (!s.ok()) return s;
      // The last message leaves with the call's status, in one write.
      if (ok && !batch.empty()) {
        finished = true;
        ok = reactor->WriteLastAndFinish(OwningByteBuffer(std::move(batch)));
      }
      if (!ok) return absl::CancelledError("client went away during search");
      return absl::OkStatus();
    });
    if (!finished) reactor->Finish(std::move(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* StorageService::LabelNames(grpc::CallbackServerContext* ctx,
                                                     const pb::LabelNamesRequest* req, pb::LabelNamesResponse* resp) {
  return OnReadPool(ctx, "LabelNames", [this, req, resp] { return engine_->LabelNames(*req, resp); });
}

grpc::ServerUnaryReactor* StorageService::LabelValues(grpc::CallbackServerContext* ctx,
                                                      const pb::LabelValuesRequest* req,
                                                      pb::LabelValuesResponse* resp) {
  return OnReadPool(ctx, "LabelValues", [this, req, resp] { return engine_->LabelValues(*req, resp); });
}

grpc::ServerUnaryReactor* StorageService::TSDBStatus(grpc::CallbackServerContext* ctx,
                                                     const pb::TSDBStatusRequest* req, pb::TSDBStatusResponse* resp) {
  return OnReadPool(ctx, "TSDBStatus", [this, req, resp] { return engine_->TSDBStatus(*req, resp); });
}

grpc::ServerUnaryReactor* StorageService::Delete(grpc::CallbackServerContext* ctx, const pb::DeleteRequest* req,
                                                 pb::DeleteResponse* resp) {
  return OnReadPool(ctx, "Delete", [this, req, resp] { return engine_->Delete(*req, resp); });
}

grpc::ServerUnaryReactor* StorageService::NodeInfo(grpc::CallbackServerContext* ctx, const pb::NodeInfoRequest*,
                                                   pb::NodeInfoResponse* resp) {
  return OnReadPool(ctx, "NodeInfo", [this, resp] { return engine_->NodeInfo(resp); });
}

grpc::ServerWriteReactor<pb::ExportedSeries>* StorageService::Export(grpc::CallbackServerContext*,
                                                                     const pb::ExportRequest* req) {
  auto* reactor = new StreamReactor<pb::ExportedSeries>();
  read_pool_.Submit([this, req, reactor] {
    grpc::Status status = Run("Export", [&]() -> absl::Status {
      bool ok = true;
      absl::Status s = engine_->Export(*req, [&](pb::ExportedSeries&& series) {
        return ok = !reactor->gone() && reactor->Write(std::move(series));
      });
      if (!s.ok()) return s;
      if (!ok) return absl::CancelledError("client went away during export");
      return absl::OkStatus();
    });
    reactor->Finish(std::move(status));
  });
  return reactor;
}

// Reads one series at a time; each is imported on read_pool_ before the next read
// starts, so a call holds one series in memory. The first failure ends the call.
class StorageService::ImportReactor final : public grpc::ServerReadReactor<pb::ExportedSeries> {
 public:
  ImportReactor(StorageService* service, grpc::CallbackServerContext* ctx, pb::ImportResponse* resp)
      : service_(service), ctx_(ctx), resp_(resp), start_(std::chrono::steady_clock::now()) {
    StartRead(&series_);
  }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has sent everything, or is gone
      End(ctx_->IsCancelled() ? absl::CancelledError("client went away during import") : absl::OkStatus());
      return;
    }
    service_->read_pool_.Submit([this] {
      uint64_t samples = 0;
      absl::Status s = service_->engine_->Import(series_, &samples);
      if (!s.ok()) {
        End(s);
        return;
      }
      resp_->set_series(resp_->series() + 1);
      resp_->set_samples(resp_->samples() + samples);
      StartRead(&series_);
    });
  }
  void OnDone() override { delete this; }

  void End(const absl::Status& s) {
    service_->Record("Import", start_, s);
    Finish(ToGrpcStatus(s));
  }

  StorageService* service_;
  grpc::CallbackServerContext* ctx_;
  pb::ImportResponse* resp_;
  std::chrono::steady_clock::time_point start_;
  pb::ExportedSeries series_;
};

grpc::ServerReadReactor<pb::ExportedSeries>* StorageService::Import(grpc::CallbackServerContext* ctx,
                                                                    pb::ImportResponse* resp) {
  return new ImportReactor(this, ctx, resp);
}

}  // namespace strata
