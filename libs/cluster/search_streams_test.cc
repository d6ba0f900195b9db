// SearchStreams against an in-process node whose SearchStream answers as each
// request's first matcher value says: "messages:N" (N messages of one series, then
// the end), "error" (the end only, INVALID_ARGUMENT), "hang" (nothing until the
// client cancels), "close" (an answer, then the node ends the call), "bad-end" (an
// end with an unknown code).
#include "libs/cluster/search_streams.h"

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "libs/rpc/search_wire.h"
#include "storage.grpc.pb.h"

namespace strata {
namespace {

namespace pb = storage::v1;

class ScriptedStorage final : public pb::Storage::Service {
 public:
  grpc::Status SearchStream(grpc::ServerContext* ctx,
                            grpc::ServerReaderWriter<pb::SearchResponse, pb::SearchRequest>* stream) override {
    ++calls;
    pb::SearchRequest req;
    while (stream->Read(&req)) {
      ++searches;
      const std::string what = req.matchers(0).value();
      pb::SearchResponse end;
      end.mutable_end();
      if (what.rfind("messages:", 0) == 0) {
        const int n = std::stoi(what.substr(9));
        for (int i = 0; i < n; ++i) {
          pb::SearchResponse m;
          pb::Label* l = m.add_series()->add_labels();
          l->set_name("i");
          l->set_value(std::to_string(i));
          if (!stream->Write(m)) return grpc::Status::CANCELLED;
        }
      } else if (what == "error") {
        end.mutable_end()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
        end.mutable_end()->set_message("bad regex");
      } else if (what == "hang") {
        while (!ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return grpc::Status::CANCELLED;
      } else if (what == "bad-end") {
        end.mutable_end()->set_code(99);
      }
      if (!stream->Write(end)) return grpc::Status::CANCELLED;
      if (what == "close") return grpc::Status::OK;
    }
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0}, searches{0};
};

struct Node {
  ScriptedStorage service;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  Node() {
    int port = 0;
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
    REQUIRE(server != nullptr);
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  }
};

grpc::ByteBuffer Request(const std::string& what) {
  pb::SearchRequest req;
  pb::Matcher* m = req.add_matchers();
  m->set_name("script");
  m->set_value(what);
  grpc::Slice slice(req.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

// The search's status and the label value of each series its messages carried.
struct Answer {
  absl::Status status;
  std::vector<std::string> values;
};
Answer Search(SearchStreams& s, const std::string& what,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
  Answer out;
  out.status = s.Search(Request(what), std::chrono::system_clock::now() + timeout, [&](grpc::ByteBuffer&& m) {
    std::vector<grpc::Slice> slices;
    REQUIRE(m.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    std::vector<SearchSeriesView> series;
    REQUIRE(ParseSearchResponse(bytes, &series).ok());
    for (const SearchSeriesView& v : series) out.values.emplace_back(v.labels.at(0).value);
  });
  return out;
}

TEST_CASE("search streams: searches one after another share one call, answers whole and in order") {
  Node node;
  SearchStreams streams(node.channel);
  for (int n : {3, 0, 1}) {
    Answer a = Search(streams, "messages:" + std::to_string(n));
    REQUIRE(a.status.ok());
    REQUIRE(a.values.size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) REQUIRE(a.values[i] == std::to_string(i));
  }
  REQUIRE(streams.opened() == 1);
  REQUIRE(node.service.calls == 1);
  REQUIRE(node.service.searches == 3);
}

TEST_CASE("search streams: a search's error is its own, the call goes on") {
  Node node;
  SearchStreams streams(node.channel);
  Answer bad = Search(streams, "error");
  REQUIRE(bad.status.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(bad.status.message() == "bad regex");
  REQUIRE(Search(streams, "messages:2").values.size() == 2);
  REQUIRE(streams.opened() == 1);
}

TEST_CASE("search streams: concurrent searches use calls of their own") {
  Node node;
  SearchStreams streams(node.channel);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        Answer a = Search(streams, "messages:2");
        if (a.status.ok() && a.values == std::vector<std::string>{"0", "1"}) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(good == 80);
  REQUIRE(streams.opened() >= 1);
  REQUIRE(streams.opened() <= 4);
}

TEST_CASE("search streams: a node that does not answer in time fails the search, the next one gets a new call") {
  Node node;
  SearchStreams streams(node.channel);
  REQUIRE(Search(streams, "messages:1").status.ok());
  Answer hung = Search(streams, "hang", std::chrono::milliseconds(200));
  REQUIRE(hung.status.code() == absl::StatusCode::kDeadlineExceeded);
  REQUIRE(Search(streams, "messages:1").values.size() == 1);
  REQUIRE(streams.opened() == 2);
}

TEST_CASE("search streams: an idle call the node ended is replaced without an error") {
  Node node;
  SearchStreams streams(node.channel);
  REQUIRE(Search(streams, "close").status.ok());
  // The idle call is over on the node's side; the search runs again on a new one.
  Answer a = Search(streams, "messages:2");
  REQUIRE(a.status.ok());
  REQUIRE(a.values.size() == 2);
  REQUIRE(streams.opened() == 2);
  REQUIRE(node.service.searches == 2);  // the refused write reached no search
}

TEST_CASE("search streams: an end that does not parse is an error, and its call is not reused") {
  Node node;
  SearchStreams streams(node.channel);
  Answer a = Search(streams, "bad-end");
  REQUIRE(a.status.code() == absl::StatusCode::kDataLoss);
  REQUIRE(Search(streams, "messages:1").status.ok());
  REQUIRE(streams.opened() == 2);
}

TEST_CASE("search streams: an unreachable node is UNAVAILABLE") {
  auto channel = grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
  SearchStreams streams(channel);
  Answer a = Search(streams, "messages:1");
  REQUIRE(a.status.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("search wire: an end field round trips, cut short it asks for more") {
  std::string end;
  AppendSearchEndField(absl::ResourceExhaustedError("too many series"), &end);
  absl::Status got;
  size_t n = 0;
  REQUIRE(ReadSearchEnd(end, &got, &n) == SearchEndRead::kEnd);
  REQUIRE(got == absl::ResourceExhaustedError("too many series"));
  REQUIRE(n == end.size());
  for (size_t cut = 1; cut < end.size(); ++cut) {
    REQUIRE(ReadSearchEnd(std::string_view(end).substr(0, cut), &got) == SearchEndRead::kIncomplete);
  }
  std::string ok_end;
  AppendSearchEndField(absl::OkStatus(), &ok_end);
  REQUIRE(ok_end == std::string("\x12\x00", 2));
  REQUIRE(ReadSearchEnd(ok_end + "\x0a\x00", &got, &n) == SearchEndRead::kEnd);
  REQUIRE(got.ok());
  REQUIRE(n == 2);
  REQUIRE(ReadSearchEnd(std::string("\x0a\x00", 2), &got) == SearchEndRead::kNotEnd);
  REQUIRE(ReadSearchEnd(std::string("\x12\x02\x08\x63", 4), &got) == SearchEndRead::kMalformed);  // code 99
}

}  // namespace
}  // namespace strata
