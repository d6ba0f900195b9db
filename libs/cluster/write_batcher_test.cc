// WriteBatcher against an in-process gRPC server that stands in for a storage node
// and records every call, so the batching rules can be checked one by one.
#include "libs/cluster/write_batcher.h"

#include <algorithm>
#include <future>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "libs/cluster/encoded_rows.h"
#include "libs/rpc/callback_threads.h"
#include "libs/rpc/zstd_frame.h"

namespace {

using namespace std::chrono_literals;
namespace pb = strata::storage::v1;

// Records the row count of every Write call; calls are answered only once `hold`
// is cleared; while `refuse_refs` > 0 a call with reference rows is refused as
// FAILED_PRECONDITION, as a restarted storage node does; a row
// whose metric name is "bad" makes the whole call fail as INVALID_ARGUMENT, as a
// storage node does; a row named "old" gets one rejected sample.
class RecordingStorage final : public pb::Storage::CallbackService {
 public:
  grpc::ServerUnaryReactor* WriteCompressed(grpc::CallbackServerContext* ctx, const pb::CompressedWriteRequest* req,
                                            pb::WriteResponse* resp) override {
    grpc::Status status = Record(req->zstd_write_request(), resp);
    auto* reactor = ctx->DefaultReactor();
    Answer([reactor, status] { reactor->Finish(status); });
    return reactor;
  }

  // The same for each write of a WriteStream call; a node with `streams` false
  // predates WriteStream and ends the call UNIMPLEMENTED.
  grpc::ServerBidiReactor<pb::WriteStreamRequest, pb::WriteStreamResponse>* WriteStream(
      grpc::CallbackServerContext*) override {
    {
      std::lock_guard<std::mutex> l(mu);
      ++stream_calls;
    }
    return new Stream(this);
  }

  // Records one write (its zstd frame) and returns its status, filling *resp.
  grpc::Status Record(const std::string& frame, pb::WriteResponse* resp) {
    auto raw = strata::ZstdDecompress(frame, 64 << 20);
    pb::WriteRequest w;
    grpc::Status status;
    if (!raw.ok() || !w.ParseFromString(*raw)) status = grpc::Status(grpc::StatusCode::INTERNAL, "bad body");
    int refs = 0;
    for (int i = 0; i < w.series_size(); ++i) {
      if (w.series(i).series_id() != 0) {  // a reference row: no labels
        ++refs;
        // A node older than reference rows does not know the field: no labels.
        if (old_node) status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty label set");
        continue;
      }
      if (w.series(i).labels(0).value() == "bad") {
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "row " + std::to_string(i) + " is bad");
      }
      if (w.series(i).labels(0).value() == "old") {
        auto* r = resp->add_rejected();
        r->set_row(i);
        r->set_samples(1);
      }
    }
    std::lock_guard<std::mutex> l(mu);
    if (refs > 0 && refuse_refs > 0) {  // a node that forgot the series it held
      --refuse_refs;
      status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "unknown series reference");
    }
    ref_rows.push_back(refs);
    calls.push_back(w.series_size());
    frames.push_back(frame);
    if (raw.ok()) raws.push_back(*raw);
    ++arrived;
    cv.notify_all();
    return status;
  }

  // Runs `answer` now, or at Release() while `hold`: never block a gRPC callback
  // thread.
  void Answer(std::function<void()> answer) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (hold) {
        held.push_back(std::move(answer));
        return;
      }
    }
    answer();
  }

  void WaitArrived(int n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return arrived >= n; });
  }
  void Release() {
    std::vector<std::function<void()>> answers;
    {
      std::lock_guard<std::mutex> l(mu);
      hold = false;
      answers.swap(held);
    }
    for (auto& answer : answers) answer();
  }

  // One WriteStream call: each request recorded, answered as a WriteCompressed call.
  class Stream final : public grpc::ServerBidiReactor<pb::WriteStreamRequest, pb::WriteStreamResponse> {
   public:
    explicit Stream(RecordingStorage* s) : s_(s) {
      if (!s_->streams) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method WriteStream"));
        return;
      }
      StartRead(&req_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      answer_.Clear();
      answer_.set_id(req_.id());
      grpc::Status status = s_->Record(req_.zstd_write_request(), answer_.mutable_response());
      if (!status.ok()) {
        answer_.clear_response();
        answer_.set_code(status.error_code());
        answer_.set_message(status.error_message());
      }
      s_->Answer([this] { StartWrite(&answer_); });
    }
    void OnWriteDone(bool ok) override {
      if (ok) {
        StartRead(&req_);
      } else {
        Finish(grpc::Status::CANCELLED);
      }
    }
    void OnDone() override { delete this; }

   private:
    RecordingStorage* s_;
    pb::WriteStreamRequest req_;
    pb::WriteStreamResponse answer_;
  };

  std::vector<std::function<void()>> held;
  bool streams = true;    // serves WriteStream
  int stream_calls = 0;   // WriteStream calls begun
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> calls;
  std::vector<std::string> frames, raws;  // each call's zstd frame and its content
  int arrived = 0;
  bool hold = false;
  std::vector<int> ref_rows;  // reference rows of each call
  int refuse_refs = 0;        // calls with reference rows still to refuse
  bool old_node = false;      // reference rows are INVALID_ARGUMENT, as before they existed
};

struct Fixture {
  explicit Fixture(strata::StorageClientOptions opts = {}) {
    strata::PinCallbackThreads();  // the batcher's calls are callback calls (libs/rpc/callback_threads.h)
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
    node = std::make_shared<strata::StorageNode>("127.0.0.1:" + std::to_string(port), opts);
  }
  ~Fixture() {
    service.Release();
    node.reset();  // first: it keeps WriteStream calls open, which Shutdown would wait for
    server->Shutdown();
  }
  int port = 0;
  RecordingStorage service;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<strata::StorageNode> node;
};

// One single-row fragment per metric name, kept alive by the caller.
strata::EncodedRows Rows(const std::vector<std::string>& names) {
  strata::EncodedRows rows;
  strata::Sample s{1000, 1};
  for (const std::string& n : names) {
    strata::LabelRef l{"__name__", n};
    rows.Add({}, {&l, 1}, {&s, 1});
  }
  return rows;
}

struct Waiter {
  std::vector<std::promise<strata::WriteResult>> promises;
  std::vector<std::future<strata::WriteResult>> futures;
  explicit Waiter(size_t n) : promises(n) {
    for (auto& p : promises) futures.push_back(p.get_future());
  }
  strata::WriteBatcher::Done For(size_t i) {
    return [this, i](const strata::WriteResult& r) { promises[i].set_value(r); };
  }
};

}  // namespace

TEST_CASE("fragments that arrive while the node is busy share one call") {
  Fixture f;
  f.service.hold = true;
  strata::EncodedRows rows = Rows({"a", "b", "c", "d"});
  Waiter w(4);
  strata::WriteBatcher batcher(f.node, {.max_delay = 10s, .max_inflight = 1});
  batcher.Submit({rows.bytes(0)}, 1, w.For(0));
  f.service.WaitArrived(1);  // the first goes out alone at once and is held there
  for (size_t i = 1; i < 4; ++i) batcher.Submit({rows.bytes(i)}, 1, w.For(i));
  f.service.Release();
  for (auto& fut : w.futures) CHECK(fut.get().status.ok());
  std::lock_guard<std::mutex> l(f.service.mu);
  CHECK(f.service.calls == std::vector<int>{1, 3});
  CHECK(batcher.stats().calls == 2);
  CHECK(batcher.stats().fragments == 4);
}

TEST_CASE("a batch is cut at max_batch_rows") {
  Fixture f;
  f.service.hold = true;
  strata::EncodedRows rows = Rows({"a", "b", "c", "d", "e"});
  Waiter w(5);
  strata::WriteBatcher batcher(f.node, {.max_batch_rows = 2, .max_delay = 10s, .max_inflight = 1});
  batcher.Submit({rows.bytes(0)}, 1, w.For(0));
  f.service.WaitArrived(1);
  for (size_t i = 1; i < 5; ++i) batcher.Submit({rows.bytes(i)}, 1, w.For(i));
  // Two full batches of 2 go out even though the only slot is taken.
  f.service.WaitArrived(3);
  f.service.Release();
  for (auto& fut : w.futures) CHECK(fut.get().status.ok());
  std::lock_guard<std::mutex> l(f.service.mu);
  CHECK(f.service.calls == std::vector<int>{1, 2, 2});
}

TEST_CASE("a fragment waits at most max_delay for a busy node") {
  Fixture f;
  f.service.hold = true;
  strata::EncodedRows rows = Rows({"a", "b"});
  Waiter w(2);
  strata::WriteBatcher batcher(f.node, {.max_delay = 50ms, .max_inflight = 1});
  batcher.Submit({rows.bytes(0)}, 1, w.For(0));
  f.service.WaitArrived(1);
  batcher.Submit({rows.bytes(1)}, 1, w.For(1));
  // The first call is still held: only the time bound can send the second.
  f.service.WaitArrived(2);
  f.service.Release();
  for (auto& fut : w.futures) CHECK(fut.get().status.ok());
}

TEST_CASE("a batch the node rejects is resent fragment by fragment, rejections map to their fragment") {
  Fixture f;
  f.service.hold = true;
  strata::EncodedRows rows = Rows({"first", "ok1", "bad", "old", "ok2"});
  Waiter w(5);
  strata::WriteBatcher batcher(f.node, {.max_delay = 10s, .max_inflight = 1});
  batcher.Submit({rows.bytes(0)}, 1, w.For(0));
  f.service.WaitArrived(1);
  batcher.Submit({rows.bytes(1)}, 1, w.For(1));
  batcher.Submit({rows.bytes(2)}, 1, w.For(2));
  batcher.Submit({rows.bytes(3), rows.bytes(4)}, 2, w.For(3));
  f.service.Release();
  CHECK(w.futures[0].get().status.ok());
  CHECK(w.futures[1].get().status.ok());
  strata::WriteResult bad = w.futures[2].get();
  CHECK(bad.status.code() == absl::StatusCode::kInvalidArgument);
  strata::WriteResult old = w.futures[3].get();
  CHECK(old.status.ok());
  CHECK(old.rejected_samples == 1);
  std::lock_guard<std::mutex> l(f.service.mu);
  // first alone, then the batch of 4 rows (rejected), then each fragment alone (in
  // parallel, so in any order).
  std::vector<int> calls = f.service.calls;
  REQUIRE(calls.size() == 5);
  std::sort(calls.begin() + 2, calls.end());
  CHECK(calls == std::vector<int>{1, 4, 1, 1, 2});
}

TEST_CASE("an unreachable node fails every fragment with UNAVAILABLE, and the destructor waits") {
  auto node = std::make_shared<strata::StorageNode>("127.0.0.1:1", strata::StorageClientOptions{});
  strata::EncodedRows rows = Rows({"a", "b", "c"});
  Waiter w(3);
  {
    strata::WriteBatcher batcher(node, {.max_inflight = 1, .timeout = 2000ms});
    for (size_t i = 0; i < 3; ++i) batcher.Submit({rows.bytes(i)}, 1, w.For(i));
  }
  for (auto& fut : w.futures) {
    REQUIRE(fut.wait_for(0s) == std::future_status::ready);
    absl::StatusCode c = fut.get().status.code();
    CHECK((c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded));
  }
}

TEST_CASE("writes are compressed at the configured zstd level") {
  for (int level : {-2, 1, 19}) {
    INFO("level " << level);
    Fixture f(strata::StorageClientOptions{.compression_level = level});
    std::vector<std::string> names;
    for (int i = 0; i < 200; ++i) names.push_back("metric_with_a_long_repeated_name_" + std::to_string(i % 7));
    strata::EncodedRows rows = Rows(names);
    std::vector<std::string_view> pieces;
    for (size_t i = 0; i < rows.size(); ++i) pieces.push_back(rows.bytes(i));
    Waiter w(1);
    {
      strata::WriteBatcher batcher(f.node, {});
      batcher.Submit(pieces, static_cast<uint32_t>(rows.size()), w.For(0));
      CHECK(w.futures[0].get().status.ok());
    }
    std::lock_guard<std::mutex> l(f.service.mu);
    REQUIRE(f.service.frames.size() == 1);
    std::string want;
    strata::ZstdCompress(f.service.raws[0], level, &want);
    CHECK(f.service.frames[0] == want);
    std::string other;
    strata::ZstdCompress(f.service.raws[0], level == 1 ? 19 : 1, &other);
    CHECK(f.service.frames[0] != other);
  }
}

TEST_CASE("rows of series the node acknowledged go by reference, a refusal resends them in full") {
  Fixture fx;
  strata::WriteBatcher batcher(fx.node, {.series_refs = true});
  strata::EncodedRows rows = Rows({"a", "b"});
  auto pieces = [&] {
    std::vector<strata::RowPiece> p;
    for (size_t i = 0; i < rows.size(); ++i) {
      p.push_back(strata::RowPiece{rows.bytes(i), rows.ref_bytes(i), rows.tenant_key(i), rows.key(i)});
    }
    return p;
  };
  auto write = [&] {
    Waiter w(1);
    batcher.Submit(pieces(), 2, w.For(0));
    return w.futures[0].get().status;
  };
  REQUIRE(write().ok());  // not yet acknowledged by the node: in full
  REQUIRE(write().ok());  // now by reference
  {
    std::lock_guard<std::mutex> l(fx.service.mu);
    REQUIRE(fx.service.ref_rows == std::vector<int>{0, 2});
    pb::WriteRequest w;
    REQUIRE(w.ParseFromString(fx.service.raws[1]));
    CHECK(w.series(0).series_id() == rows.key(0));
    CHECK(w.series(0).labels_size() == 0);
    CHECK(w.series(1).series_id() == rows.key(1));
    fx.service.refuse_refs = 1;
  }
  // The node forgot them: refused, resent in full, and answered once, OK.
  REQUIRE(write().ok());
  CHECK(batcher.stats().refused_calls == 1);
  REQUIRE(write().ok());  // the full resend taught the node again
  {
    std::lock_guard<std::mutex> l(fx.service.mu);
    CHECK(fx.service.ref_rows == std::vector<int>{0, 2, 2, 0, 2});
  }
  CHECK(batcher.stats().ref_rows == 6);

  // Off: always in full.
  Fixture off;
  strata::WriteBatcher plain(off.node, {});
  for (int k = 0; k < 2; ++k) {
    Waiter w(1);
    plain.Submit(pieces(), 2, w.For(0));
    REQUIRE(w.futures[0].get().status.ok());
  }
  std::lock_guard<std::mutex> l(off.service.mu);
  CHECK(off.service.ref_rows == std::vector<int>{0, 0});
}

TEST_CASE("a node older than reference rows gets full rows once it calls them invalid, a bad row stays bad") {
  auto pieces = [](const strata::EncodedRows& rows) {
    std::vector<strata::RowPiece> p;
    for (size_t i = 0; i < rows.size(); ++i) {
      p.push_back(strata::RowPiece{rows.bytes(i), rows.ref_bytes(i), rows.tenant_key(i), rows.key(i)});
    }
    return p;
  };
  auto write = [&](strata::WriteBatcher& b, const strata::EncodedRows& rows) {
    Waiter w(1);
    b.Submit(pieces(rows), static_cast<uint32_t>(rows.size()), w.For(0));
    return w.futures[0].get().status;
  };
  strata::EncodedRows ab = Rows({"a", "b"});
  {
    Fixture fx;
    fx.service.old_node = true;
    strata::WriteBatcher batcher(fx.node, {.series_refs = true});
    for (int k = 0; k < 3; ++k) REQUIRE(write(batcher, ab).ok());
    std::lock_guard<std::mutex> l(fx.service.mu);
    // Full; by reference (invalid), resent in full (OK); full from then on.
    CHECK(fx.service.ref_rows == std::vector<int>{0, 2, 0, 0});
  }
  Fixture fx;
  strata::WriteBatcher batcher(fx.node, {.series_refs = true});
  REQUIRE(write(batcher, ab).ok());
  strata::EncodedRows with_bad = Rows({"a", "bad"});
  CHECK(write(batcher, with_bad).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(write(batcher, ab).ok());
  std::lock_guard<std::mutex> l(fx.service.mu);
  // a by reference with the bad row (invalid), both in full (invalid: a real bad
  // row), then references again.
  CHECK(fx.service.ref_rows == std::vector<int>{0, 1, 0, 2});
}

TEST_CASE("writes go on WriteStream calls, and a node that predates them gets a Write call each, nothing lost") {
  for (bool streams : {true, false}) {
    Fixture f;
    f.service.streams = streams;
    strata::EncodedRows rows = Rows({"a", "b", "c"});
    Waiter w(3);
    {
      strata::WriteBatcher batcher(f.node, {.max_delay = 10s, .max_inflight = 1});
      for (size_t i = 0; i < 3; ++i) {
        batcher.Submit({rows.bytes(i)}, 1, w.For(i));
        CHECK(w.futures[i].get().status.ok());
      }
      CHECK(batcher.stats().calls == 3);
    }
    std::lock_guard<std::mutex> l(f.service.mu);
    CHECK(f.service.calls == std::vector<int>{1, 1, 1});  // each write stored once
    // One call for all three, or one refused call and then none.
    CHECK(f.service.stream_calls == 1);
    CHECK((f.node->write_streams() != nullptr) == streams);
  }
}
