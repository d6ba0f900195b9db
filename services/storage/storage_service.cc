#include "services/storage/storage_service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "libs/rpc/grpc_status.h"
#include "libs/rpc/zstd_frame.h"
#include "spdlog/spdlog.h"

namespace strata {

namespace pb = storage::v1;

namespace {
// Search answers are streamed in messages of about this many bytes.
constexpr size_t kStreamBatchBytes = 128 << 10;
// Series streamed between two checks for a cancelled call.
constexpr size_t kCancelCheckEvery = 1024;

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }
}  // namespace

namespace {

int WriteThreads(int flag) {
  if (flag > 0) return flag;
  return static_cast<int>(std::max(4u, 2 * std::thread::hardware_concurrency()));
}

}  // namespace

StorageService::StorageService(storage::StorageEngine* engine, MetricsRegistry* registry, size_t max_write_bytes,
                               int write_threads)
    : engine_(engine),
      max_write_bytes_(max_write_bytes),
      requests_(registry->AddCounterFamily("strata_storage_rpc_requests_total",
                                           "gRPC requests served, by method and status code.", {"method", "code"})),
      latency_(registry->AddHistogramFamily("strata_storage_rpc_duration_seconds",
                                            "gRPC request latency by method.", {"method"}, LatencyBuckets())),
      write_pool_(WriteThreads(write_threads)) {}

template <typename Fn>
grpc::Status StorageService::Run(const char* method, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  absl::Status s = fn();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  latency_.WithLabels({method}).Observe(secs);
  requests_.WithLabels({method, CodeName(s.code())}).Inc();
  // Expected refusals are counted, not logged: bad client input, cancelled calls and
  // reference rows a restarted node no longer knows (the writer resends them).
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument && s.code() != absl::StatusCode::kCancelled &&
      !storage::IsUnknownSeriesReference(s)) {
    spdlog::warn("{}: {}", method, std::string(s.message()));
  }
  return ToGrpcStatus(s);
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

StorageService::~StorageService() = default;

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

grpc::Status StorageService::Search(grpc::ServerContext* ctx, const pb::SearchRequest* req,
                                    grpc::ServerWriter<pb::SearchResponse>* writer) {
  return Run("Search", [&]() -> absl::Status {
    pb::SearchResponse batch;
    size_t bytes = 0;
    bool ok = true;
    size_t seen = 0;
    absl::Status s = engine_->Search(*req, [&](pb::SearchSeries&& series) {
      // IsCancelled() takes ~20 us (a completion-queue round trip): asked once per
      // kCancelCheckEvery series it was most of a search's time. A failed Write
      // also ends the search.
      if (++seen % kCancelCheckEvery == 0 && ctx->IsCancelled()) return false;
      bytes += series.ByteSizeLong();
      *batch.add_series() = std::move(series);
      if (bytes >= kStreamBatchBytes) {
        ok = writer->Write(batch);
        batch.Clear();
        bytes = 0;
      }
      return ok;
    });
    if (!s.ok()) return s;
    if (batch.series_size() > 0 && !writer->Write(batch)) ok = false;
    if (!ok) return absl::CancelledError("client went away during search");
    return absl::OkStatus();
  });
}

grpc::Status StorageService::LabelNames(grpc::ServerContext*, const pb::LabelNamesRequest* req,
                                        pb::LabelNamesResponse* resp) {
  return Run("LabelNames", [&] { return engine_->LabelNames(*req, resp); });
}

grpc::Status StorageService::LabelValues(grpc::ServerContext*, const pb::LabelValuesRequest* req,
                                         pb::LabelValuesResponse* resp) {
  return Run("LabelValues", [&] { return engine_->LabelValues(*req, resp); });
}

grpc::Status StorageService::TSDBStatus(grpc::ServerContext*, const pb::TSDBStatusRequest* req,
                                        pb::TSDBStatusResponse* resp) {
  return Run("TSDBStatus", [&] { return engine_->TSDBStatus(*req, resp); });
}

grpc::Status StorageService::Delete(grpc::ServerContext*, const pb::DeleteRequest* req, pb::DeleteResponse* resp) {
  return Run("Delete", [&] { return engine_->Delete(*req, resp); });
}

grpc::Status StorageService::Export(grpc::ServerContext* ctx, const pb::ExportRequest* req,
                                    grpc::ServerWriter<pb::ExportedSeries>* writer) {
  return Run("Export", [&]() -> absl::Status {
    bool ok = true;
    size_t seen = 0;
    absl::Status s = engine_->Export(*req, [&](pb::ExportedSeries&& series) {
      if (++seen % kCancelCheckEvery == 0 && ctx->IsCancelled()) return false;
      ok = writer->Write(series);
      return ok;
    });
    if (!s.ok()) return s;
    if (!ok) return absl::CancelledError("client went away during export");
    return absl::OkStatus();
  });
}

grpc::Status StorageService::Import(grpc::ServerContext*, grpc::ServerReader<pb::ExportedSeries>* reader,
                                    pb::ImportResponse* resp) {
  return Run("Import", [&]() -> absl::Status {
    pb::ExportedSeries series;
    while (reader->Read(&series)) {
      uint64_t samples = 0;
      absl::Status s = engine_->Import(series, &samples);
      if (!s.ok()) return s;
      resp->set_series(resp->series() + 1);
      resp->set_samples(resp->samples() + samples);
    }
    return absl::OkStatus();
  });
}

grpc::Status StorageService::NodeInfo(grpc::ServerContext*, const pb::NodeInfoRequest*, pb::NodeInfoResponse* resp) {
  return Run("NodeInfo", [&] { return engine_->NodeInfo(resp); });
}

}  // namespace strata
