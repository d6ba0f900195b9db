// WriteStreams against an in-process node whose WriteStream answers as each
// request's `write_request` bytes say: "ok:N" (OK, N accepted samples), "error"
// (INVALID_ARGUMENT), "hang" (nothing until the client cancels), "close" (an
// answer, then the node ends the call), "wrong-id" (an answer with another id).
// Answers carry their request's id.
#include "libs/cluster/write_streams.h"

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "libs/rpc/callback_threads.h"
#include "storage.grpc.pb.h"

namespace strata {
namespace {

namespace pb = storage::v1;

class ScriptedStorage final : public pb::Storage::Service {
 public:
  grpc::Status WriteStream(grpc::ServerContext* ctx,
                           grpc::ServerReaderWriter<pb::WriteStreamResponse, pb::WriteStreamRequest>* stream) override {
    ++calls;
    pb::WriteStreamRequest req;
    while (stream->Read(&req)) {
      ++writes;
      const std::string& what = req.write_request();
      pb::WriteStreamResponse answer;
      answer.set_id(what == "wrong-id" ? req.id() + 1 : req.id());
      if (what.rfind("ok:", 0) == 0) {
        answer.mutable_response()->set_accepted_samples(std::stoull(what.substr(3)));
      } else if (what == "error") {
        answer.set_code(grpc::StatusCode::INVALID_ARGUMENT);
        answer.set_message("row 3: bad label");
      } else if (what == "hang") {
        while (!ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return grpc::Status::CANCELLED;
      }
      if (!stream->Write(answer)) return grpc::Status::CANCELLED;
      if (what == "close") return grpc::Status::OK;
    }
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0}, writes{0};
};

// A node without WriteStream (one that predates it).
class OldStorage final : public pb::Storage::Service {};

struct Node {
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<pb::Storage::Stub> stub;
  explicit Node(grpc::Service* service) {
    PinCallbackThreads();  // WriteStreams' calls are callback calls (libs/rpc/callback_threads.h)
    int port = 0;
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(service);
    server = b.BuildAndStart();
    REQUIRE(server != nullptr);
    stub = pb::Storage::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
};

// A scripted node and a client of it.
struct Scripted {
  ScriptedStorage service;
  Node node{&service};
  WriteStreams streams{node.stub.get()};
};

struct Answer {
  absl::Status status;
  uint64_t accepted = 0;
};

// One write through `streams`, waited for.
Answer Write(WriteStreams& streams, const std::string& what,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
  pb::WriteStreamRequest req;
  req.set_write_request(what);
  pb::WriteResponse resp;
  std::promise<absl::Status> done;
  streams.Write(&req, &resp, std::chrono::system_clock::now() + timeout,
                [&](absl::Status s) { done.set_value(std::move(s)); });
  Answer a;
  a.status = done.get_future().get();
  a.accepted = resp.accepted_samples();
  return a;
}

TEST_CASE("write streams: writes one after another share one call, each gets its own answer") {
  Scripted s;
  auto& [service, node, streams] = s;
  for (uint64_t n : {5, 0, 17}) {
    Answer a = Write(streams, "ok:" + std::to_string(n));
    REQUIRE(a.status.ok());
    REQUIRE(a.accepted == n);
  }
  REQUIRE(streams.opened() == 1);
  REQUIRE(service.calls == 1);
  REQUIRE(service.writes == 3);
}

TEST_CASE("write streams: a write's error is its own, the call goes on") {
  Scripted s;
  auto& [service, node, streams] = s;
  REQUIRE(Write(streams, "ok:1").status.ok());
  Answer bad = Write(streams, "error");
  REQUIRE(bad.status.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(bad.status.message() == "row 3: bad label");
  Answer next = Write(streams, "ok:2");
  REQUIRE(next.status.ok());
  REQUIRE(next.accepted == 2);
  REQUIRE(streams.opened() == 1);
}

TEST_CASE("write streams: concurrent writes go on calls of their own, then those calls are reused") {
  Scripted s;
  auto& [service, node, streams] = s;
  // Two writes at once: the first hangs until its deadline, so the second cannot
  // share its call.
  std::thread slow([&] { REQUIRE(Write(streams, "hang", std::chrono::milliseconds(300)).status.code() ==
                                 absl::StatusCode::kDeadlineExceeded); });
  while (service.writes < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Answer a = Write(streams, "ok:3");
  REQUIRE(a.status.ok());
  REQUIRE(a.accepted == 3);
  slow.join();
  REQUIRE(streams.opened() == 2);
  // The cancelled call is gone; the other is idle and takes the next write.
  REQUIRE(Write(streams, "ok:4").status.ok());
  REQUIRE(streams.opened() == 2);
}

TEST_CASE("write streams: a write the node never answers ends at its deadline, and the next one works") {
  Scripted s;
  auto& [service, node, streams] = s;
  Answer a = Write(streams, "hang", std::chrono::milliseconds(200));
  REQUIRE(a.status.code() == absl::StatusCode::kDeadlineExceeded);
  Answer b = Write(streams, "ok:1");
  REQUIRE(b.status.ok());
  REQUIRE(streams.opened() == 2);
}

TEST_CASE("write streams: the watchdog sleeps while no write is in flight, and wakes for the next one") {
  Scripted s;
  auto& [service, node, streams] = s;
  REQUIRE(Write(streams, "ok:1").status.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // its last check of the busy call
  const size_t ticks = streams.watch_ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  REQUIRE(streams.watch_ticks() == ticks);
  // A write on the idle call still ends at its deadline.
  REQUIRE(Write(streams, "hang", std::chrono::milliseconds(200)).status.code() ==
          absl::StatusCode::kDeadlineExceeded);
  REQUIRE(streams.watch_ticks() > ticks);
  REQUIRE(streams.opened() == 1);
}

TEST_CASE("write streams: an idle call the node ended is not used again") {
  Scripted s;
  auto& [service, node, streams] = s;
  REQUIRE(Write(streams, "close").status.ok());
  // Whether the client saw the end before this write or only because of it, the
  // write is answered, on a new call.
  for (int i = 0; i < 3; ++i) REQUIRE(Write(streams, "ok:1").status.ok());
  REQUIRE(streams.opened() == 2);
  REQUIRE(service.calls == 2);
}

TEST_CASE("write streams: an answer with another write's id is not taken, the call is dropped") {
  Scripted s;
  auto& [service, node, streams] = s;
  REQUIRE(Write(streams, "ok:1").status.ok());
  Answer a = Write(streams, "wrong-id");
  REQUIRE(a.status.code() == absl::StatusCode::kDataLoss);
  REQUIRE(Write(streams, "ok:1").status.ok());
  REQUIRE(streams.opened() == 2);
}

TEST_CASE("write streams: concurrent writers while the node keeps ending calls: one answer per write, none lost") {
  Scripted s;
  auto& [service, node, streams] = s;
  // Every 5th write ends its call after the answer, so idle calls go over while
  // writers take them: each write still gets exactly one outcome, and the
  // retried ones reach the node.
  constexpr int kThreads = 6, kWrites = 150;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        Answer a = Write(streams, (t * kWrites + i) % 5 == 0 ? "close" : "ok:1");
        (a.status.ok() ? ok : failed)++;
      }
    });
  }
  for (std::thread& w : writers) w.join();
  REQUIRE(ok + failed == kThreads * kWrites);
  // A write fails only when its retry on a new call failed too, which this node
  // never makes happen.
  REQUIRE(failed == 0);
  REQUIRE(service.writes >= kThreads * kWrites);
  REQUIRE(streams.opened() > 1);
}

TEST_CASE("write streams: a node without WriteStream answers UNIMPLEMENTED, an absent node UNAVAILABLE") {
  OldStorage old;
  Node node(&old);
  WriteStreams streams(node.stub.get());
  REQUIRE(Write(streams, "ok:1").status.code() == absl::StatusCode::kUnimplemented);

  auto nowhere = pb::Storage::NewStub(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  WriteStreams none(nowhere.get());
  REQUIRE(Write(none, "ok:1").status.code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace strata
