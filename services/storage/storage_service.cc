#include "services/storage/storage_service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "libs/common/status_util.h"
#include "libs/rpc/grpc_status.h"
#include "libs/rpc/search_wire.h"
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

// A message of `head` then `body`, neither copied.
grpc::ByteBuffer TwoSliceByteBuffer(std::string&& head, std::string&& body) {
  if (body.empty()) return OwningByteBuffer(std::move(head));
  auto* h = new std::string(std::move(head));
  auto* b = new std::string(std::move(body));
  auto free = [](void* p) { delete static_cast<std::string*>(p); };
  grpc::Slice slices[2] = {grpc::Slice(h->data(), h->size(), free, h), grpc::Slice(b->data(), b->size(), free, b)};
  return grpc::ByteBuffer(slices, 2);
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
  pb::WriteStreamRequest wrapper;
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
  if (b->bytes.capacity() + b->raw.capacity() + b->wrapper.zstd_write_request().capacity() +
          b->wrapper.write_request().capacity() >
      kKeptWriteBufferBytes) {
    return;  // an unusually large call: its memory goes back
  }
  b->bytes.clear();
  b->raw.clear();
  std::lock_guard<std::mutex> lock(buffers_mu_);
  if (free_buffers_.size() < kFreeWriteBuffers) free_buffers_.push_back(std::move(b));
}

absl::Status StorageService::WriteBody(const grpc::ByteBuffer& req, WriteKind kind, pb::WriteResponse* out,
                                       uint64_t* id) {
  std::vector<grpc::Slice> slices;
  if (!req.Dump(&slices).ok()) return absl::InvalidArgumentError("unreadable request body");
  std::unique_ptr<WriteBuffers> buffers = TakeWriteBuffers();
  absl::Cleanup give_back = [&] { ReturnWriteBuffers(std::move(buffers)); };
  std::string& bytes = buffers->bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (kind == WriteKind::kPlain) {
    // Read in place by the engine (libs/rpc/write_wire.h): no protobuf objects.
    return engine_->Write(bytes, out);
  }
  // A WriteStreamRequest with only field 1 is a CompressedWriteRequest: one parser.
  pb::WriteStreamRequest& wrapper = buffers->wrapper;
  if (!wrapper.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("request body (", bytes.size(), " bytes) is not a valid ",
                                                   kind == WriteKind::kCompressed
                                                       ? "strata.storage.v1.CompressedWriteRequest"
                                                       : "strata.storage.v1.WriteStreamRequest"));
  }
  if (id != nullptr) *id = wrapper.id();
  const bool zstd = !wrapper.zstd_write_request().empty();
  if (kind == WriteKind::kStream && zstd && !wrapper.write_request().empty()) {
    return absl::InvalidArgumentError("WriteStreamRequest sets both zstd_write_request and write_request");
  }
  if (kind == WriteKind::kStream && !zstd) return engine_->Write(wrapper.write_request(), out);
  std::string& raw = buffers->raw;
  if (absl::Status s = ZstdDecompress(wrapper.zstd_write_request(), max_write_bytes_, &raw); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("zstd_write_request: ", s.message()));
  }
  // The WAL keeps the frame as it came: fewer bytes to write and sync.
  return engine_->Write(raw, out, wrapper.zstd_write_request());
}

grpc::ServerUnaryReactor* StorageService::HandleWrite(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                                      grpc::ByteBuffer* resp, bool compressed) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  write_pool_.Submit([this, req, resp, reactor, compressed] {
    pb::WriteResponse out;
    grpc::Status status = Run(compressed ? "WriteCompressed" : "Write", [&] {
      return WriteBody(*req, compressed ? WriteKind::kCompressed : WriteKind::kPlain, &out);
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

template <typename Reactor>
absl::Status StorageService::SearchMessages(const grpc::ByteBuffer& raw_req, Reactor* reactor, std::string* last) {
  pb::SearchRequest req;
  if (!ParseRequest(raw_req, &req)) {
    return absl::InvalidArgumentError("request body is not a valid strata.storage.v1.SearchRequest");
  }
  // The series fields joined are a SearchResponse message. Each message gets its
  // full size at once: grown by doubling, it was copied ~1x over again.
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
  if (!ok) return absl::CancelledError("client went away during search");
  *last = std::move(batch);
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::Search(grpc::CallbackServerContext*,
                                                                   const grpc::ByteBuffer* raw_req) {
  auto* reactor = new StreamReactor<grpc::ByteBuffer>();
  read_pool_.Submit([this, raw_req, reactor] {
    bool finished = false;  // by WriteLastAndFinish
    grpc::Status status = Run("Search", [&]() -> absl::Status {
      std::string last;
      STRATA_RETURN_IF_ERROR(SearchMessages(*raw_req, reactor, &last));
      // The last message leaves with the call's status, in one write.
      if (!last.empty()) {
        finished = true;
        if (!reactor->WriteLastAndFinish(OwningByteBuffer(std::move(last)))) {
          return absl::CancelledError("client went away during search");
        }
      }
      return absl::OkStatus();
    });
    if (!finished) reactor->Finish(std::move(status));
  });
  return reactor;
}

// One SearchStream or WriteStream call: reads a request, serves it on `pool` (the
// answer's messages queued as a Search call's), then reads the next. Nothing is
// read while a request is served, so the requests of a call never overlap. The
// call ends when the client half-closes or goes away.
class StorageService::RequestStreamReactor final
    : public StreamReactor<grpc::ByteBuffer, grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>> {
 public:
  // Writes one request's whole answer; false when the client went away.
  using ServeFn = bool (StorageService::*)(const grpc::ByteBuffer& request, RequestStreamReactor* reactor);

  RequestStreamReactor(StorageService* service, grpc::CallbackServerContext* ctx, ThreadPool* pool, ServeFn serve)
      : service_(service), ctx_(ctx), pool_(pool), serve_(serve) {}

  // Registered with the service first, so EndStreams sees every call that waits
  // for a request.
  void Start() { StartRead(&request_); }
  grpc::CallbackServerContext* context() const { return ctx_; }
  bool idle() const { return idle_; }  // under the service's streams_mu_

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {  // half-closed by the client, or cancelled: nothing is being served
      // Finish waits until queued messages are sent: not on a callback thread.
      pool_->Submit([this] {
        Finish(gone() || ctx_->IsCancelled() ? grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled")
                                              : grpc::Status::OK);
      });
      return;
    }
    {
      std::lock_guard<std::mutex> l(service_->streams_mu_);
      idle_ = false;
    }
    pool_->Submit([this] { Serve(); });
  }

  void Serve() {
    if (!(service_->*serve_)(request_, this)) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    bool ending;
    {
      std::lock_guard<std::mutex> l(service_->streams_mu_);
      ending = service_->streams_ending_;
      idle_ = !ending;
    }
    if (ending) {
      Finish(grpc::Status::OK);  // waits for the last message to be sent
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> l(service_->streams_mu_);
      auto& v = service_->streams_;
      if (auto it = std::find(v.begin(), v.end(), this); it != v.end()) v.erase(it);
    }
    StreamReactor::OnDone();
  }

  StorageService* service_;
  grpc::CallbackServerContext* ctx_;
  ThreadPool* pool_;
  ServeFn serve_;
  grpc::ByteBuffer request_;
  bool idle_ = true;  // waiting for a request; under the service's streams_mu_
};

bool StorageService::ServeSearch(const grpc::ByteBuffer& request, RequestStreamReactor* reactor) {
  const auto start = std::chrono::steady_clock::now();
  std::string last;
  absl::Status s = SearchMessages(request, reactor, &last);
  Record("Search", start, s);
  if (!s.ok() && reactor->gone()) return false;
  if (!s.ok()) last.clear();  // messages sent before an error stay sent, as on a Search call
  // The answer's last message starts with `end`, the search's status.
  std::string end;
  AppendSearchEndField(s, &end);
  return reactor->Write(TwoSliceByteBuffer(std::move(end), std::move(last)));
}

bool StorageService::ServeWrite(const grpc::ByteBuffer& request, RequestStreamReactor* reactor) {
  pb::WriteStreamResponse answer;
  uint64_t id = 0;
  grpc::Status status =
      Run("WriteStream", [&] { return WriteBody(request, WriteKind::kStream, answer.mutable_response(), &id); });
  answer.set_id(id);
  if (!status.ok()) {
    answer.clear_response();
    answer.set_code(status.error_code());
    answer.set_message(status.error_message());
  }
  return reactor->Write(OwningByteBuffer(answer.SerializeAsString()));
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StorageService::StartStream(
    grpc::CallbackServerContext* ctx, ThreadPool* pool, RequestStreamReactor::ServeFn serve) {
  auto* reactor = new RequestStreamReactor(this, ctx, pool, serve);
  bool ending;
  {
    std::lock_guard<std::mutex> l(streams_mu_);
    ending = streams_ending_;
    if (!ending) streams_.push_back(reactor);
  }
  if (ending) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage node is shutting down"));
  } else {
    reactor->Start();
  }
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StorageService::SearchStream(
    grpc::CallbackServerContext* ctx) {
  return StartStream(ctx, &read_pool_, &StorageService::ServeSearch);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StorageService::WriteStream(
    grpc::CallbackServerContext* ctx) {
  return StartStream(ctx, &write_pool_, &StorageService::ServeWrite);
}

void StorageService::EndStreams() {
  std::lock_guard<std::mutex> l(streams_mu_);
  streams_ending_ = true;
  for (RequestStreamReactor* r : streams_) {
    if (r->idle()) r->context()->TryCancel();
  }
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
