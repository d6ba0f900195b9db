// ClusterQueryable against an in-process storage node that answers every Search
// with fixed series: samples are decoded when read, and a block that does not
// decode is an error, never a series cut short.
#include "libs/cluster/fanout_querier.h"

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "libs/rpc/proto_convert.h"

namespace strata {
namespace {

class FixedStorage final : public pb::Storage::Service {
 public:
  grpc::Status Search(grpc::ServerContext*, const pb::SearchRequest* req,
                      grpc::ServerWriter<pb::SearchResponse>* writer) override {
    last_request = *req;
    ++search_calls;
    writer->Write(answer);
    return grpc::Status::OK;
  }
  // What strata-select calls: the same answer, then a message with only its end.
  // Without `streams`, UNIMPLEMENTED, as from a node that predates SearchStream.
  grpc::Status SearchStream(grpc::ServerContext* ctx,
                            grpc::ServerReaderWriter<pb::SearchResponse, pb::SearchRequest>* stream) override {
    if (!streams) return pb::Storage::Service::SearchStream(ctx, stream);
    ++stream_calls;
    pb::SearchRequest req;
    while (stream->Read(&req)) {
      last_request = req;
      pb::SearchResponse end;
      end.mutable_end();
      if (!stream->Write(answer) || !stream->Write(end)) break;
    }
    return grpc::Status::OK;
  }
  pb::SearchResponse answer;
  pb::SearchRequest last_request;
  bool streams = true;
  std::atomic<int> search_calls{0}, stream_calls{0};
};

// A series of `samples`, sent raw, or as an encoded block of `data` (which does
// not decode) spanning the same times.
void AddSeries(pb::SearchResponse* r, const std::string& name, const std::vector<Sample>& samples,
               const std::string& data = "") {
  pb::SearchSeries* s = r->add_series();
  LabelsToProto(*Labels::FromPairs({{"__name__", name}}), s->mutable_labels());
  pb::Block* b = s->add_blocks();
  RawSamplesToProto(samples, b);
  if (!data.empty()) {
    b->clear_raw_samples();
    b->set_data(data);
  }
}

// `service` on a free loopback port, and the storage node list naming it.
struct Served {
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<StorageNodes> nodes;
};
Served Serve(FixedStorage* service) {
  int port = 0;
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(service);
  Served out;
  out.server = b.BuildAndStart();
  REQUIRE(out.server != nullptr);
  auto nodes = StorageNodes::Create("127.0.0.1:" + std::to_string(port), {});
  REQUIRE(nodes.ok());
  out.nodes = std::move(*nodes);
  return out;
}

// Reads every series of a Select over [mint, maxt]: name -> samples, or the
// iterator's error.
struct Read {
  std::map<std::string, std::vector<Sample>> samples;
  std::map<std::string, absl::Status> errors;
  absl::Status set_status;
};
Read ReadAll(const ClusterQueryable& q, int64_t mint, int64_t maxt) {
  Read out;
  auto querier = q.NewQuerier(mint, maxt);
  REQUIRE(querier.ok());
  std::unique_ptr<SeriesSet> set = (*querier)->Select(true, nullptr, {});
  while (set->Next()) {
    const std::string name(set->At().labels().MetricName());
    auto it = set->At().Iterator();
    while (it->Next()) out.samples[name].push_back(it->At());
    out.errors[name] = it->status();
  }
  out.set_status = set->status();
  return out;
}

TEST_CASE("fan-out: samples decode when read, a block that does not decode fails the read") {
  FixedStorage service;
  AddSeries(&service.answer, "good", {{1000, 1}, {2000, 2}});
  AddSeries(&service.answer, "bad", {{1000, 1}, {2000, 2}}, "not a block");
  Served served = Serve(&service);
  ClusterQueryable q(served.nodes.get(), Tenant{}, FanoutOptions{});

  // The blocks' first and last samples are in range: both series are returned and
  // decoded on first read.
  Read all = ReadAll(q, 0, 10'000);
  CHECK(all.set_status.ok());
  REQUIRE(all.samples["good"].size() == 2);
  CHECK(all.samples["good"][1].v == 2);
  CHECK(all.errors["good"].ok());
  CHECK(all.samples["bad"].empty());
  CHECK(all.errors["bad"].code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(all.errors["bad"].message()).find("does not decode") != std::string::npos);

  // Blocks that straddle the range are decoded at once, to drop series without a
  // sample inside: "good" has none in [1400, 1600], "bad" fails the whole set.
  Read mid = ReadAll(q, 1400, 1600);
  CHECK(mid.set_status.code() == absl::StatusCode::kDataLoss);
  CHECK(mid.samples.empty());
  service.answer.mutable_series()->DeleteSubrange(1, 1);
  mid = ReadAll(q, 1400, 1600);
  CHECK(mid.set_status.ok());
  CHECK(mid.errors.empty());
  Read late = ReadAll(q, 1400, 2000);
  REQUIRE(late.samples["good"].size() == 1);
  CHECK(late.samples["good"][0].t == 2000);
  served.nodes.reset();  // its idle SearchStream calls, which Shutdown would wait for
  served.server->Shutdown();
}

TEST_CASE("fan-out: an instant selector's reference times go to storage, except under --dedup-interval") {
  FixedStorage service;
  AddSeries(&service.answer, "g", {{1000, 1}, {2000, 2}});
  Served served = Serve(&service);
  SelectHints hints{.start = 0, .end = 10'000};
  hints.instant_refs = RefGrid{.first = 300, .step = 60, .count = 7};
  auto select = [&](const FanoutOptions& opts, const SelectHints* h) {
    ClusterQueryable q(served.nodes.get(), Tenant{}, opts);
    auto querier = q.NewQuerier(0, 10'000);
    REQUIRE(querier.ok());
    std::unique_ptr<SeriesSet> set = (*querier)->Select(true, h, {});
    while (set->Next()) {
    }
    REQUIRE(set->status().ok());
    return service.last_request.instant_refs();
  };
  pb::RefGrid sent = select(FanoutOptions{}, &hints);
  CHECK(sent.first_ms() == 300);
  CHECK(sent.step_ms() == 60);
  CHECK(sent.count() == 7);
  // The dedup bucket rule keeps a bucket's last sample, which may be one no
  // reference time reads: every sample is needed.
  CHECK(select(FanoutOptions{.dedup_interval_ms = 30'000}, &hints).count() == 0);
  // No grid (a range function's selector, or no hints at all).
  CHECK(select(FanoutOptions{}, nullptr).count() == 0);
  SelectHints range_hints{.start = 0, .end = 10'000, .range = 300'000};
  CHECK(select(FanoutOptions{}, &range_hints).count() == 0);
  served.nodes.reset();  // its idle SearchStream calls, which Shutdown would wait for
  served.server->Shutdown();
}


TEST_CASE("fan-out: searches go on one SearchStream call, or a Search call each to a node that predates it") {
  for (bool streams : {true, false}) {
    INFO("node serves SearchStream: " << streams);
    FixedStorage service;
    service.streams = streams;
    AddSeries(&service.answer, "g", {{1000, 1}, {2000, 2}});
    Served served = Serve(&service);
    ClusterQueryable q(served.nodes.get(), Tenant{}, FanoutOptions{});
    for (int i = 0; i < 3; ++i) {
      Read all = ReadAll(q, 0, 10'000);
      REQUIRE(all.set_status.ok());
      REQUIRE(all.samples["g"].size() == 2);
    }
    CHECK(service.stream_calls == (streams ? 1 : 0));
    CHECK(service.search_calls == (streams ? 0 : 3));
    served.nodes.reset();
    served.server->Shutdown();
  }
}

}  // namespace
}  // namespace strata
