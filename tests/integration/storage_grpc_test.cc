// strata-storage over real gRPC on loopback: write, search, labels, delete,
// snapshots, bad input, and a kill -9 in the middle of ingestion.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/cluster/search_streams.h"
#include "libs/cluster/write_streams.h"
#include "libs/encoding/block.h"
#include "libs/http/http_client.h"
#include "libs/model/dedup.h"
#include "libs/rpc/callback_threads.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/search_wire.h"
#include "libs/rpc/zstd_frame.h"
#include "storage.grpc.pb.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using strata::testing::FreePort;
using strata::testing::ServiceProcess;
using strata::testing::Eq;
using strata::testing::NowMs;
using strata::testing::TempDir;

namespace {

// A storage node process with a gRPC stub.
struct Node : strata::testing::StorageNodeProcess {
  using StorageNodeProcess::StorageNodeProcess;
};

void AddRow(pb::WriteRequest* req, std::vector<Label> labels, std::vector<Sample> samples) {
  auto* ts = req->add_series();
  for (auto& l : labels) {
    auto* pl = ts->add_labels();
    pl->set_name(l.name);
    pl->set_value(l.value);
  }
  for (auto& s : samples) {
    auto* ps = ts->add_samples();
    ps->set_timestamp_ms(s.t);
    ps->set_value(s.v);
  }
}

std::map<std::string, std::vector<Sample>> Search(pb::Storage::Stub* stub, std::vector<Matcher> ms, int64_t mint,
                                                  int64_t maxt, grpc::Status* status = nullptr) {
  return strata::testing::SearchNode(stub, ms, mint, maxt, 0, status);
}

}  // namespace

TEST_CASE("storage node over gRPC: write, search, labels, status, delete, snapshots") {
  Node node;
  REQUIRE(node.proc->Start().ok());
  const int64_t now = NowMs();
  pb::WriteRequest req;
  for (int i = 0; i < 10; ++i) {
    AddRow(&req, {{"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(i)}, {"mode", "idle"}},
           {{now - 30'000, double(i)}, {now - 15'000, double(i) + 1.5}, {now, strata::StaleNaN()}});
  }
  grpc::ClientContext ctx;
  pb::WriteResponse wresp;
  grpc::Status st = node.stub->Write(&ctx, req, &wresp);
  REQUIRE(st.ok());
  CHECK(wresp.accepted_samples() == 30);

  auto got = Search(node.stub.get(), {Eq("__name__", "node_cpu_seconds_total"), Eq("cpu", "3")}, now - 60'000, now);
  REQUIRE(got.size() == 1);
  auto& samples = got["node_cpu_seconds_total{cpu=\"3\", mode=\"idle\"}"];
  REQUIRE(samples.size() == 3);
  CHECK(samples[1].v == 4.5);
  CHECK(strata::IsStaleNaN(samples[2].v));  // stale markers round-trip bit-exact
  // No series: the call ends with no message (the last message goes with the
  // call's status, StreamReactor::WriteLastAndFinish, only when there is one).
  grpc::Status none_status;
  CHECK(Search(node.stub.get(), {Eq("__name__", "no_such_metric")}, now - 60'000, now, &none_status).empty());
  CHECK(none_status.ok());

  // force_flush then the same answer from blocks.
  http::HttpClient admin("127.0.0.1", node.http_port);
  REQUIRE(admin.Post("/internal/force_flush", "", "text/plain")->status == 200);
  CHECK(Search(node.stub.get(), {Eq("__name__", "node_cpu_seconds_total")}, now - 60'000, now).size() == 10);

  {
    grpc::ClientContext c;
    pb::LabelValuesRequest lv;
    lv.set_name("cpu");
    pb::LabelValuesResponse lvr;
    REQUIRE(node.stub->LabelValues(&c, lv, &lvr).ok());
    CHECK(lvr.values_size() == 10);
  }
  {
    grpc::ClientContext c;
    pb::TSDBStatusRequest sr;
    pb::TSDBStatusResponse srr;
    REQUIRE(node.stub->TSDBStatus(&c, sr, &srr).ok());
    CHECK(srr.total_series() == 10);
  }
  {
    grpc::ClientContext c;
    pb::DeleteRequest dr;
    MatchersToProto({*Matcher::Make(MatchType::kRegexMatch, "cpu", "[0-4]")}, dr.mutable_matchers());
    pb::DeleteResponse drr;
    REQUIRE(node.stub->Delete(&c, dr, &drr).ok());
    CHECK(drr.deleted_series() == 5);
    CHECK(Search(node.stub.get(), {Eq("__name__", "node_cpu_seconds_total")}, now - 60'000, now).size() == 5);
  }
  {
    grpc::ClientContext c;
    pb::NodeInfoResponse info;
    REQUIRE(node.stub->NodeInfo(&c, pb::NodeInfoRequest(), &info).ok());
    CHECK(!info.node_id().empty());
    CHECK(info.bytes_on_disk() > 0);
  }
  auto created = admin.Get("/snapshot/create");
  REQUIRE(created->status == 200);
  CHECK(created->body.find("\"snapshot\":\"") != std::string::npos);
  auto listed = admin.Get("/snapshot/list");
  CHECK(listed->body.find("Z-") != std::string::npos);
  CHECK(admin.Get("/snapshot/delete?snapshot=..%2Fwal")->status == 400);
  CHECK(admin.Get("/metrics")->body.find("strata_storage_samples_written_total 30") != std::string::npos);
  CHECK(node.proc->Stop());
}

TEST_CASE("a search of many messages reaches a slow reader whole, and a cancelled search ends and is counted") {
  Node node;
  REQUIRE(node.proc->Start().ok());
  // 3000 series x 300 raw samples: ~14 MB, about 28 of the node's ~512 KiB messages,
  // so its sender queue fills while this client sleeps between reads.
  const int64_t now = NowMs();
  const int kSeries = 3000, kSamples = 300;
  pb::WriteRequest req;
  for (int i = 0; i < kSeries; ++i) {
    std::vector<Sample> samples;
    for (int k = 0; k < kSamples; ++k) samples.push_back({now - (kSamples - k) * 1000, double(i * 1000 + k)});
    AddRow(&req, {{"__name__", "many"}, {"i", std::to_string(i)}}, samples);
  }
  {
    grpc::ClientContext ctx;
    pb::WriteResponse wresp;
    REQUIRE(node.stub->Write(&ctx, req, &wresp).ok());
  }
  pb::SearchRequest sreq;
  MatchersToProto({Eq("__name__", "many")}, sreq.mutable_matchers());
  sreq.set_min_time_ms(now - 3'600'000);
  sreq.set_max_time_ms(now);

  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto reader = node.stub->Search(&ctx, sreq);
    pb::SearchResponse resp;
    int messages = 0;
    std::map<int, std::vector<Sample>> got;
    while (reader->Read(&resp)) {
      if (++messages <= 6) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const auto& series : resp.series()) {
        auto labels = LabelsFromProto(series.labels());
        REQUIRE(labels.ok());
        std::vector<Sample>& v = got[std::stoi(std::string(labels->Get("i")))];
        for (const auto& b : series.blocks()) REQUIRE(DecodeProtoBlock(b, &v).ok());
      }
    }
    REQUIRE(reader->Finish().ok());
    CHECK(messages >= 10);
    REQUIRE(got.size() == size_t(kSeries));
    for (int i : {0, 1, kSeries / 2, kSeries - 1}) {
      REQUIRE(got[i].size() == size_t(kSamples));
      CHECK(got[i].front().v == double(i * 1000));
      CHECK(got[i].back().v == double(i * 1000 + kSamples - 1));
    }
    size_t total = 0;
    for (const auto& [i, v] : got) total += v.size();
    CHECK(total == size_t(kSeries) * kSamples);
  }

  // A client that reads one message and cancels: the node ends that search, counts
  // it as CANCELLED and goes on serving. On a connection of its own: the first
  // search's 14 MB grew its flow-control window until the node could hand gRPC
  // the whole answer, finishing OK before the cancel arrived (seen once in CI).
  // A new connection's window starts at 64 KiB, so the node waits for the reader.
  {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // not the first search's connection
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);            // and no window growth on this one
    args.SetMaxReceiveMessageSize(64 << 20);
    auto fresh = pb::Storage::NewStub(
        grpc::CreateCustomChannel(node.grpc_address(), grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext ctx;
    auto reader = fresh->Search(&ctx, sreq);
    pb::SearchResponse resp;
    REQUIRE(reader->Read(&resp));
    ctx.TryCancel();
    while (reader->Read(&resp)) {
    }
    CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  }
  http::HttpClient admin("127.0.0.1", node.http_port);
  const std::string cancelled = "strata_storage_rpc_requests_total{method=\"Search\",code=\"CANCELLED\"} 1";
  bool counted = false;
  std::string searches;  // the node's Search counters, for the failure message
  for (int i = 0; i < 100 && !counted; ++i) {
    auto m = admin.Get("/metrics");
    counted = m.ok() && m->body.find(cancelled) != std::string::npos;
    if (m.ok()) {
      searches.clear();
      for (absl::string_view line : absl::StrSplit(m->body, '\n')) {
        if (absl::StartsWith(line, "strata_storage_rpc_requests_total{method=\"Search\"")) {
          absl::StrAppend(&searches, line, "\n");
        }
      }
    }
    if (!counted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(searches);
  CHECK(counted);
  CHECK(Search(node.stub.get(), {Eq("__name__", "many"), Eq("i", "7")}, now - 3'600'000, now).size() == 1);
  CHECK(node.proc->Stop());
}

// What SearchStreams (strata-select's client) gets from a real node: each search's
// answer, its error in the answer's end, and an idle call the node ends when it
// stops, so that neither a stop nor a restart waits for select.
TEST_CASE("SearchStream: searches one after another on one call, errors in their end, idle calls end with the node") {
  Node node;
  REQUIRE(node.proc->Start().ok());
  const int64_t now = NowMs();
  pb::WriteRequest req;
  for (int i = 0; i < 5; ++i) AddRow(&req, {{"__name__", "ss"}, {"i", std::to_string(i)}}, {{now - 1000, double(i)}});
  {
    grpc::ClientContext ctx;
    pb::WriteResponse wresp;
    REQUIRE(node.stub->Write(&ctx, req, &wresp).ok());
  }
  auto channel = grpc::CreateChannel(node.grpc_address(), grpc::InsecureChannelCredentials());
  SearchStreams streams(channel);
  // Series label value "i" -> sample values, and the search's status.
  auto search = [&](std::vector<Matcher> ms, std::map<std::string, double>* got, const char* bad_regex = nullptr) {
    pb::SearchRequest sreq;
    MatchersToProto(ms, sreq.mutable_matchers());
    if (bad_regex != nullptr) {
      pb::Matcher* m = sreq.add_matchers();
      m->set_type(pb::REGEX);
      m->set_name("i");
      m->set_value(bad_regex);
    }
    sreq.set_min_time_ms(now - 60'000);
    sreq.set_max_time_ms(now);
    sreq.set_accept_label_entries(true);
    grpc::Slice slice(sreq.SerializeAsString());
    return streams.Search(grpc::ByteBuffer(&slice, 1), std::chrono::system_clock::now() + std::chrono::seconds(30),
                          [&](grpc::ByteBuffer&& m) {
                            std::vector<grpc::Slice> slices;
                            REQUIRE(m.Dump(&slices).ok());
                            std::string bytes;
                            for (auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
                            std::vector<SearchSeriesView> series;
                            REQUIRE(ParseSearchResponse(bytes, &series).ok());
                            for (const SearchSeriesView& v : series) {
                              auto labels = LabelsOfSeriesView(v);
                              REQUIRE(labels.ok());
                              std::vector<Sample> samples;
                              for (const BlockView& b : v.blocks) REQUIRE(DecodeBlockView(b, now - 60'000, now, &samples).ok());
                              REQUIRE(samples.size() == 1);
                              (*got)[std::string(labels->Get("i"))] = samples[0].v;
                            }
                          });
  };
  std::map<std::string, double> got;
  REQUIRE(search({Eq("__name__", "ss")}, &got).ok());
  CHECK(got == std::map<std::string, double>{{"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}});
  got.clear();
  absl::Status bad = search({Eq("__name__", "ss")}, &got, "(");
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(got.empty());
  REQUIRE(search({Eq("__name__", "ss"), Eq("i", "3")}, &got).ok());
  CHECK(got == std::map<std::string, double>{{"3", 3}});
  got.clear();
  REQUIRE(search({Eq("__name__", "nothing")}, &got).ok());
  CHECK(got.empty());
  CHECK(streams.opened() == 1);

  http::HttpClient admin("127.0.0.1", node.http_port);
  auto m = admin.Get("/metrics");
  REQUIRE(m.ok());
  CHECK(absl::StrContains(m->body, "strata_storage_rpc_requests_total{method=\"Search\",code=\"OK\"} 3"));
  CHECK(absl::StrContains(m->body, "strata_storage_rpc_requests_total{method=\"Search\",code=\"INVALID_ARGUMENT\"} 1"));

  // The call is idle, open: the node's gRPC Shutdown would wait its whole 10 s
  // deadline for it unless the node ended it first. A contract, not a speed: the
  // stop takes well under a second when it holds.
  const auto stop_start = std::chrono::steady_clock::now();
  CHECK(node.proc->Stop());
  CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::seconds(8));
  got.clear();
  CHECK(search({Eq("__name__", "ss")}, &got).code() == absl::StatusCode::kUnavailable);
  // Back on the same port: the next search finds the dead call and opens another.
  REQUIRE(node.proc->Start().ok());
  absl::Status again = absl::UnavailableError("not yet");
  for (int i = 0; i < 50 && again.code() == absl::StatusCode::kUnavailable; ++i) {
    got.clear();
    again = search({Eq("__name__", "ss"), Eq("i", "4")}, &got);
    if (again.code() == absl::StatusCode::kUnavailable) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(again.ok());
  CHECK(got == std::map<std::string, double>{{"4", 4}});
  CHECK(node.proc->Stop());
}

TEST_CASE("WriteStream: writes one after another on one call, errors in their answer, stored when acknowledged") {
  Node node;
  REQUIRE(node.proc->Start().ok());
  const int64_t now = NowMs();
  PinCallbackThreads();  // WriteStreams' calls are callback calls
  WriteStreams streams(node.stub.get());
  // Rows "i"=from..to-1 of series ws, one sample each (value i).
  auto rows = [&](int from, int to) {
    pb::WriteRequest req;
    for (int i = from; i < to; ++i) AddRow(&req, {{"__name__", "ws"}, {"i", std::to_string(i)}}, {{now - 1000, double(i)}});
    return req;
  };
  auto write = [&](pb::WriteStreamRequest& req, pb::WriteResponse* resp) {
    std::promise<absl::Status> done;
    streams.Write(&req, resp, std::chrono::system_clock::now() + std::chrono::seconds(30),
                  [&](absl::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  pb::WriteStreamRequest zstd, plain, invalid, both, unknown_ref;
  ZstdCompress(rows(0, 3).SerializeAsString(), 1, zstd.mutable_zstd_write_request());
  plain.set_write_request(rows(3, 5).SerializeAsString());
  pb::WriteRequest bad = rows(5, 7);
  bad.mutable_series(1)->mutable_labels(1)->set_name("0bad");
  invalid.set_write_request(bad.SerializeAsString());
  both = plain;
  both.set_zstd_write_request(zstd.zstd_write_request());
  pb::WriteRequest ref;
  pb::TimeSeries* ts = ref.add_series();
  ts->set_series_id(12345);
  ts->add_samples()->set_timestamp_ms(now);
  unknown_ref.set_write_request(ref.SerializeAsString());

  pb::WriteResponse resp;
  REQUIRE(write(zstd, &resp).ok());
  CHECK(resp.accepted_samples() == 3);
  CHECK(resp.new_series() == 3);
  resp.Clear();
  REQUIRE(write(plain, &resp).ok());
  CHECK(resp.accepted_samples() == 2);
  absl::Status s = write(invalid, &resp);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(s.message(), "row 1"));
  s = write(both, &resp);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(s.message(), "sets both"));
  s = write(unknown_ref, &resp);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);  // WriteBatcher resends such a batch in full
  CHECK(absl::StrContains(s.message(), "12345"));
  CHECK(streams.opened() == 1);

  // What was acknowledged is searchable; nothing of the refused batches is.
  std::map<std::string, std::vector<Sample>> expected;
  for (int i = 0; i < 5; ++i) {
    expected["ws{i=\"" + std::to_string(i) + "\"}"] = {{now - 1000, double(i)}};
  }
  CHECK(Search(node.stub.get(), {Eq("__name__", "ws")}, now - 60'000, now) == expected);

  http::HttpClient admin("127.0.0.1", node.http_port);
  auto m = admin.Get("/metrics");
  REQUIRE(m.ok());
  CHECK(absl::StrContains(m->body, "strata_storage_rpc_requests_total{method=\"WriteStream\",code=\"OK\"} 2"));
  CHECK(absl::StrContains(m->body,
                          "strata_storage_rpc_requests_total{method=\"WriteStream\",code=\"INVALID_ARGUMENT\"} 2"));

  // An idle write stream does not hold the node's stop (see SearchStream's test),
  // and after a restart the next write goes on a new call; the acknowledged rows
  // came back from the WAL.
  const auto stop_start = std::chrono::steady_clock::now();
  CHECK(node.proc->Stop());
  CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::seconds(8));
  REQUIRE(node.proc->Start().ok());
  pb::WriteStreamRequest more;
  more.set_write_request(rows(7, 8).SerializeAsString());
  s = absl::UnavailableError("not yet");
  for (int i = 0; i < 50 && s.code() == absl::StatusCode::kUnavailable; ++i) {
    s = write(more, &resp);
    if (s.code() == absl::StatusCode::kUnavailable) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(s.ok());
  CHECK(streams.opened() == 2);
  expected["ws{i=\"7\"}"] = {{now - 1000, 7.0}};
  CHECK(Search(node.stub.get(), {Eq("__name__", "ws")}, now - 60'000, now) == expected);
  CHECK(node.proc->Stop());
}

TEST_CASE("Export from one node, Import into another over gRPC: the same series, and a bad block ends the import") {
  Node from, to;
  REQUIRE(from.proc->Start().ok());
  REQUIRE(to.proc->Start().ok());
  const int64_t now = NowMs();
  pb::WriteRequest req;
  for (int i = 0; i < 40; ++i) {
    AddRow(&req, {{"__name__", "moved"}, {"i", std::to_string(i)}},
           {{now - 20'000, double(i)}, {now - 10'000, double(i) + 0.5}, {now, double(i) + 1}});
  }
  req.mutable_series(39)->set_account_id(7);  // another tenant: all_tenants carries it
  {
    grpc::ClientContext ctx;
    pb::WriteResponse wresp;
    REQUIRE(from.stub->Write(&ctx, req, &wresp).ok());
  }
  http::HttpClient admin("127.0.0.1", from.http_port);
  REQUIRE(admin.Post("/internal/force_flush", "", "text/plain")->status == 200);  // blocks and head alike

  grpc::ClientContext ectx;
  pb::ExportRequest ereq;
  ereq.set_all_tenants(true);
  auto exported = from.stub->Export(&ectx, ereq);
  grpc::ClientContext ictx;
  pb::ImportResponse iresp;
  auto importer = to.stub->Import(&ictx, &iresp);
  pb::ExportedSeries series;
  int streamed = 0;
  while (exported->Read(&series)) {
    ++streamed;
    REQUIRE(importer->Write(series));
  }
  REQUIRE(exported->Finish().ok());
  REQUIRE(importer->WritesDone());
  REQUIRE(importer->Finish().ok());
  CHECK(streamed == 40);
  CHECK(iresp.series() == 40);
  CHECK(iresp.samples() == 120);
  auto want = Search(from.stub.get(), {Eq("__name__", "moved")}, now - 60'000, now);
  auto got = Search(to.stub.get(), {Eq("__name__", "moved")}, now - 60'000, now);
  REQUIRE(want.size() == 39);
  CHECK(got == want);
  CHECK(strata::testing::SearchNode(to.stub.get(), {Eq("__name__", "moved")}, now - 60'000, now, 7, nullptr).size() ==
        1);

  // A series whose block does not decode: the import stops there with
  // INVALID_ARGUMENT, and the node goes on serving.
  grpc::ClientContext bctx;
  pb::ImportResponse bresp;
  auto bad = to.stub->Import(&bctx, &bresp);
  pb::ExportedSeries broken;
  auto* l = broken.add_labels();
  l->set_name("__name__");
  l->set_value("broken");
  broken.add_blocks()->set_data("not a block");
  bad->Write(broken);
  bad->WritesDone();
  grpc::Status bs = bad->Finish();
  CHECK(bs.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bs.error_message().find("bad block") != std::string::npos);
  CHECK(Search(to.stub.get(), {Eq("__name__", "moved")}, now - 60'000, now).size() == 39);
  CHECK(from.proc->Stop());
  CHECK(to.proc->Stop());
}

TEST_CASE("storage node rejects bad input with INVALID_ARGUMENT naming the problem") {
  Node node;
  REQUIRE(node.proc->Start().ok());
  const int64_t now = NowMs();
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "fine"}}, {{now, 1}});
  AddRow(&req, {{"__name__", "x"}, {"bad-name", "v"}}, {{now, 1}});
  grpc::ClientContext ctx;
  pb::WriteResponse resp;
  grpc::Status st = node.stub->Write(&ctx, req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(st.error_message().find("row 1: invalid label name \"bad-name\"") != std::string::npos);
  CHECK(Search(node.stub.get(), {Eq("__name__", "fine")}, now - 1000, now + 1000).empty());

  // Bytes that are not a WriteRequest.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(node.grpc_port), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext gctx;
  const char garbage[] = "\x0a\xff\xff\xff\xff\x0f garbage";
  grpc::Slice slice(garbage, sizeof garbage - 1);
  grpc::ByteBuffer in(&slice, 1), out;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status gst;
  generic.UnaryCall(&gctx, "/strata.storage.v1.Storage/Write", grpc::StubOptions(), &in, &out,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> l(mu);
                      gst = s;
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  CHECK(gst.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(!gst.error_message().empty());
  l.unlock();

  // WriteCompressed: a good frame is stored; garbage, a frame of something else and a
  // frame claiming more than the node accepts are INVALID_ARGUMENT and store nothing.
  auto compressed_write = [&](const std::string& frame) {
    pb::CompressedWriteRequest creq;
    creq.set_zstd_write_request(frame);
    grpc::ClientContext cctx;
    pb::WriteResponse cresp;
    return node.stub->WriteCompressed(&cctx, creq, &cresp);
  };
  pb::WriteRequest good;
  AddRow(&good, {{"__name__", "zstd_ok"}}, {{now, 7}});
  std::string frame;
  ZstdCompress(good.SerializeAsString(), 1, &frame);
  CHECK(compressed_write(frame).ok());
  CHECK(Search(node.stub.get(), {Eq("__name__", "zstd_ok")}, now - 1000, now + 1000).size() == 1);
  grpc::Status bad = compressed_write("not a zstd frame");
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message().find("zstd_write_request") != std::string::npos);
  ZstdCompress(std::string(garbage, sizeof garbage - 1), 1, &frame);
  bad = compressed_write(frame);
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message().find("not a valid strata.storage.v1.WriteRequest") != std::string::npos);
  ZstdCompress(std::string(65 << 20, 'x'), 1, &frame);  // above --grpc-max-message-bytes
  bad = compressed_write(frame);
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message().find("above the limit") != std::string::npos);

  // Search with a broken regex.
  grpc::Status sst;
  pb::SearchRequest sreq;
  auto* m = sreq.add_matchers();
  m->set_type(pb::REGEX);
  m->set_name("job");
  m->set_value("(");
  grpc::ClientContext sctx;
  auto reader = node.stub->Search(&sctx, sreq);
  pb::SearchResponse sresp;
  while (reader->Read(&sresp)) {
  }
  sst = reader->Finish();
  CHECK(sst.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(node.proc->Stop());
}

// Writers 0 and 1 send each series in full once, then by reference (TimeSeries.
// series_id, ADR 8); with a head flush every second, many reference rows are
// replayed after the WAL that held their series' full row was truncated.
TEST_CASE("kill -9 mid-ingest loses no acknowledged sample") {
  Node node({"--wal-fsync=always", "--head-flush-interval=1s"});
  REQUIRE(node.proc->Start().ok());
  const int64_t base = NowMs() - 600'000;
  std::mutex mu;
  std::map<std::string, std::set<int64_t>> acked;  // series -> timestamps acknowledged
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::atomic<bool> killing{false};
  std::atomic<int> failed_before_kill{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; !stop; ++b) {
        pb::WriteRequest req;
        std::vector<std::pair<std::string, int64_t>> rows;
        for (int s = 0; s < 20; ++s) {
          std::string series = "w" + std::to_string(w) + "s" + std::to_string(s);
          int64_t t = base + b * 10;
          std::vector<Label> labels = {{"__name__", "crash_test"}, {"series", series}};
          if (w < 2 && b > 0) {  // batch 0 was acknowledged: the node holds the series
            auto* ts = req.add_series();
            ts->set_series_id(Labels::FromPairs(labels)->Hash());
            auto* ps = ts->add_samples();
            ps->set_timestamp_ms(t);
            ps->set_value(double(b));
          } else {
            AddRow(&req, labels, {{t, double(b)}});
          }
          rows.emplace_back(series, t);
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        pb::WriteResponse resp;
        if (!node.stub->Write(&ctx, req, &resp).ok()) {  // node died: unacknowledged
          if (!killing) ++failed_before_kill;
          return;
        }
        std::lock_guard<std::mutex> l(mu);
        for (auto& [series, t] : rows) acked[series].insert(t);
        ++batches;
      }
    });
  }
  // Let some flushes and many WAL appends happen, then crash.
  while (batches < 300) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  killing = true;
  node.proc->Kill(SIGKILL);
  stop = true;
  for (auto& t : writers) t.join();
  {
    // A call to the dead node puts the channel into reconnect backoff, as a writer's
    // last call may; the search after the restart must wait that out, not fail.
    grpc::ClientContext ctx;
    pb::WriteResponse resp;
    CHECK(node.stub->Write(&ctx, pb::WriteRequest(), &resp).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  REQUIRE(node.proc->Start().ok());
  auto got = Search(node.stub.get(), {Eq("__name__", "crash_test")}, base - 1000, base + 10'000'000);
  size_t missing = 0, total = 0;
  for (auto& [series, ts] : acked) {
    std::set<int64_t> have;
    for (const Sample& s : got["crash_test{series=\"" + series + "\"}"]) have.insert(s.t);
    for (int64_t t : ts) {
      ++total;
      if (!have.count(t)) ++missing;
    }
  }
  INFO("acknowledged " << total << " samples in " << batches << " batches");
  CHECK(total > 5000);
  CHECK(missing == 0);
  CHECK(failed_before_kill == 0);
  // A restarted node holds no series for references until each comes in full again.
  pb::WriteRequest req;
  auto* ts = req.add_series();
  ts->set_series_id(Labels::FromPairs({{"__name__", "crash_test"}, {"series", "w0s0"}})->Hash());
  auto* ps = ts->add_samples();
  ps->set_timestamp_ms(base + 9'000'000);
  ps->set_value(1);
  grpc::ClientContext ctx;
  pb::WriteResponse resp;
  grpc::Status refused = node.stub->Write(&ctx, req, &resp);
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(refused.error_message().find("resend them with labels") != std::string::npos);
  CHECK(node.proc->Stop());
}

// Regression: gRPC listens with SO_REUSEPORT unless told not to, so a second node
// started on a taken port came up and took half the connections (writes acknowledged
// into another data directory). It must fail to start instead.
TEST_CASE("a second storage node on a gRPC port another node holds fails to start") {
  Node a;
  REQUIRE(a.proc->Start().ok());
  TempDir dir;
  const int http = FreePort();
  ServiceProcess b("strata-storage",
                   {"--data-dir=" + dir.path(), "--grpc-listen=" + a.grpc_address(),
                    "--http-listen=127.0.0.1:" + std::to_string(http)},
                   http);
  absl::Status st = b.Start(/*timeout_s=*/15);
  INFO(st.ToString());
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("exited during start-up") != std::string_view::npos);
  // The first node still answers.
  CHECK(Search(a.stub.get(), {Eq("__name__", "nothing")}, 0, NowMs()).empty());
}

TEST_CASE("a call that arrives after an idle second is answered at once") {
  // gRPC's callback threads wait 1 s for work, then sleep 100 ms (libs/rpc/
  // callback_threads.h): a call arriving 1.00-1.10 s after the one before waited
  // for that sleep, 0-100 ms, unless another thread serves the queue meanwhile. The
  // pauses below sweep that window in 10 ms steps. The calls go through the callback
  // API on both ends, so a stall in the storage node or in this (client) process
  // shows. A stalled call takes 30 ms more than the 1 ms a NodeInfo takes here; a
  // loaded machine (ctest runs two tests at a time) may stall one or two by chance,
  // so a failed sweep is run once more: the bug fails every sweep (8 slow calls with
  // the old server, 2-3 with only the client unfixed).
  PinCallbackThreads();
  Node node;
  REQUIRE(node.proc->Start().ok());
  auto sweep = [&] {
    std::vector<std::string> slow;
    for (int pause_ms = 950; pause_ms <= 1150; pause_ms += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      grpc::ClientContext ctx;
      pb::NodeInfoRequest req;
      pb::NodeInfoResponse resp;
      std::promise<grpc::Status> done;
      const auto start = std::chrono::steady_clock::now();
      node.stub->async()->NodeInfo(&ctx, &req, &resp, [&done](grpc::Status s) { done.set_value(std::move(s)); });
      grpc::Status st = done.get_future().get();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      REQUIRE(st.ok());
      if (ms > 30) slow.push_back(std::to_string(pause_ms) + " ms pause: " + std::to_string(ms) + " ms");
    }
    return slow;
  };
  std::vector<std::string> slow = sweep();
  if (slow.size() > 1) {
    WARN("first sweep: " << absl::StrJoin(slow, "; "));
    slow = sweep();
  }
  INFO(absl::StrJoin(slow, "; "));
  CHECK(slow.size() <= 1);
}
