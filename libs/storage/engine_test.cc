#include "libs/storage/engine.h"

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/cluster/rendezvous.h"
#include "libs/rpc/zstd_frame.h"
#include "libs/storage/engine_test_util.h"
#include "libs/storage/key_format.h"

using namespace strata;
using namespace strata::storage;
using namespace strata::storage::testing;

TEST_CASE("write is searchable at once, after flush and after reopen") {
  TempDir dir;
  int64_t now = kNow;
  {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    pb::WriteRequest req;
    AddRow(&req, {{"__name__", "up"}, {"job", "node"}}, Ramp(kNow - 60'000, 5, 15'000));
    AddRow(&req, {{"__name__", "up"}, {"job", "api"}}, Ramp(kNow - 60'000, 5, 15'000, 10));
    pb::WriteResponse resp;
    REQUIRE(e->Write(req, &resp).ok());
    CHECK(resp.accepted_samples() == 10);
    CHECK(resp.new_series() == 2);
    auto got = Search(*e, {M(pb::EQUAL, "job", "node")}, kNow - 3'600'000, kNow);
    REQUIRE(got.size() == 1);
    CHECK(got["up{job=\"node\"}"].size() == 5);
    REQUIRE(e->Persist().ok());
    got = Search(*e, {M(pb::EQUAL, "__name__", "up")}, kNow - 3'600'000, kNow);
    CHECK(got.size() == 2);
    CHECK(got["up{job=\"api\"}"].back().v == 14);
  }
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "up")}, kNow - 3'600'000, kNow);
  CHECK(got.size() == 2);
  CHECK(got["up{job=\"node\"}"].size() == 5);
}

// Regression: an Open that failed before the WAL opened (here: the index is locked
// by the engine already open on the directory) crashed in the destructor's Close().
// It must return the error, and the open engine must go on working.
TEST_CASE("opening a data directory another engine holds fails with an error, not a crash") {
  TempDir dir;
  int64_t now = kNow;
  auto first = *StorageEngine::Open(Opts(dir.path, &now));
  absl::StatusOr<std::unique_ptr<StorageEngine>> second = StorageEngine::Open(Opts(dir.path, &now));
  REQUIRE_FALSE(second.ok());
  INFO(second.status().ToString());
  CHECK(second.status().message().find("index") != std::string_view::npos);
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "up"}, {"job", "node"}}, Ramp(kNow - 60'000, 3, 15'000));
  pb::WriteResponse resp;
  REQUIRE(first->Write(req, &resp).ok());
  CHECK(Search(*first, {M(pb::EQUAL, "job", "node")}, kNow - 3'600'000, kNow).size() == 1);
}

// Regression: Search keeps one block iterator per partition for the whole search,
// so a head flush that lands mid-search moves samples into blocks those iterators
// cannot see; the persist epoch makes Search read such a series again.
TEST_CASE("a head flush during a search loses no sample of the series still to come") {
  // 50 series: one chunk, read on the calling thread; 3000: chunks read by 3 threads.
  const int n = GENERATE(50, 3000);
  TempDir dir;
  int64_t now = kNow;
  EngineOptions opts = Opts(dir.path, &now);
  opts.search_parallelism = 3;
  auto e = *StorageEngine::Open(opts);
  pb::WriteRequest req;
  for (int i = 0; i < n; ++i) {
    AddRow(&req, {{"__name__", "x"}, {"i", std::to_string(i)}}, Ramp(kNow - 60'000, 5, 15'000));
  }
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  pb::SearchRequest sreq;
  *sreq.add_matchers() = M(pb::EQUAL, "__name__", "x");
  sreq.set_min_time_ms(kNow - 3'600'000);
  sreq.set_max_time_ms(kNow);
  int series = 0, flushed = 0;
  size_t samples = 0;
  const std::thread::id caller = std::this_thread::get_id();
  REQUIRE(e->Search(sreq, [&](pb::SearchSeries&& s) {
               CHECK(std::this_thread::get_id() == caller);
               if (series++ == 0) flushed += e->Persist().ok();  // everything leaves the head now
               std::vector<Sample> v;
               for (const auto& b : s.blocks()) REQUIRE(DecodeProtoBlock(b, &v).ok());
               SortAndCollapse(&v);
               samples += v.size();
               return true;
             }).ok());
  CHECK(flushed == 1);
  CHECK(e->HeadSamples() == 0);
  CHECK(series == n);
  CHECK(samples == static_cast<size_t>(5 * n));
}

TEST_CASE("a parallel search answers what a serial one does, in the same order, and stops when told") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions opts = Opts(dir.path, &now);
  opts.search_parallelism = 4;
  auto e = *StorageEngine::Open(opts);
  pb::WriteRequest req;
  for (int i = 0; i < 5000; ++i) {
    AddRow(&req, {{"__name__", i % 2 ? "odd" : "even"}, {"i", std::to_string(i)}}, Ramp(kNow - 60'000, 3, 15'000, i));
  }
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  if (GENERATE(false, true)) REQUIRE(e->Persist().ok());
  pb::SearchRequest sreq;
  *sreq.add_matchers() = M(pb::EQUAL, "__name__", "odd");
  sreq.set_min_time_ms(kNow - 3'600'000);
  sreq.set_max_time_ms(kNow);
  auto run = [&](StorageEngine& engine) {
    std::vector<std::string> got;
    REQUIRE(engine.Search(sreq, [&](pb::SearchSeries&& s) {
                  got.push_back(LabelsFromProto(s.labels())->ToString() + "/" + std::to_string(s.blocks_size()));
                  return true;
                }).ok());
    return got;
  };
  std::vector<std::string> parallel = run(*e);
  CHECK(parallel.size() == 2500);
  REQUIRE(e->Close().ok());
  e.reset();
  opts.search_parallelism = 1;
  auto serial_engine = *StorageEngine::Open(opts);
  CHECK(run(*serial_engine) == parallel);
  serial_engine.reset();
  opts.search_parallelism = 4;
  e = *StorageEngine::Open(opts);
  int seen = 0;
  absl::Status st = e->Search(sreq, [&](pb::SearchSeries&&) { return ++seen < 10; });
  CHECK(st.code() == absl::StatusCode::kCancelled);
  CHECK(seen == 10);
}

// The index switches from posting lists to checking candidates' labels once few
// are left: both ways must select exactly what the matchers say.
TEST_CASE("index selection agrees with brute force on every matcher mix, small and large") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  std::vector<Labels> all;
  pb::WriteRequest req;
  for (int i = 0; i < 12000; ++i) {
    std::vector<Label> ls = {{"__name__", i % 2 ? "m1" : "m2"}, {"a", std::to_string(i % 3)},
                             {"b", std::to_string(i % 7)}, {"c", "v" + std::to_string(i % 1000)}};
    if (i % 5 == 0) ls.push_back({"d", "x"});
    all.push_back(*Labels::FromPairs(ls));
    AddRow(&req, ls, {{kNow - 1000, 1}});
  }
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  using T = MatchType;
  const std::vector<std::vector<std::tuple<T, std::string, std::string>>> cases = {
      {{T::kEqual, "__name__", "m1"}},
      {{T::kEqual, "__name__", "m1"}, {T::kEqual, "a", "1"}},
      {{T::kEqual, "__name__", "m1"}, {T::kRegexMatch, "c", "v1.*"}, {T::kRegexMatch, "b", "[0-3]"}},
      {{T::kRegexMatch, "c", "v(1|5)"}, {T::kNotEqual, "d", "x"}},
      {{T::kEqual, "__name__", "m2"}, {T::kEqual, "a", "1"}, {T::kRegexNoMatch, "b", "1|2"}, {T::kEqual, "d", ""}},
      {{T::kEqual, "__name__", "m2"}, {T::kEqual, "a", "1"}, {T::kRegexMatch, "c", "v.*0"}},
      {{T::kEqual, "__name__", "m2"}, {T::kRegexNoMatch, "b", "1|2"}},
      {{T::kEqual, "__name__", "m2"}, {T::kNotEqual, "a", "0"}, {T::kEqual, "d", ""}},
      {{T::kRegexMatch, "__name__", "m.*"}, {T::kRegexMatch, "d", "x|"}},
      {{T::kRegexMatch, "a", "1|2"}, {T::kRegexMatch, "b", "3|4"}, {T::kEqual, "c", "v17"}},
      {{T::kEqual, "a", "nope"}},
  };
  for (const auto& c : cases) {
    Matchers ms;
    pb::SearchRequest sreq;
    std::string what;
    for (const auto& [t, n, v] : c) {
      ms.push_back(*Matcher::Make(t, n, v));
      auto* pm = sreq.add_matchers();
      pm->set_type(t == T::kEqual ? pb::EQUAL : t == T::kNotEqual ? pb::NOT_EQUAL : t == T::kRegexMatch ? pb::REGEX
                                                                                                        : pb::NOT_REGEX);
      pm->set_name(n);
      pm->set_value(v);
      what += n + ":" + v + " ";
    }
    INFO(what);
    sreq.set_min_time_ms(kNow - 3'600'000);
    sreq.set_max_time_ms(kNow);
    sreq.set_labels_only(true);
    std::set<std::string> got, want;
    REQUIRE(e->Search(sreq, [&](pb::SearchSeries&& s) {
                 got.insert(LabelsFromProto(s.labels())->ToString());
                 return true;
               }).ok());
    for (const Labels& l : all) {
      if (MatchesAll(ms, l)) want.insert(l.ToString());
    }
    CHECK(got.size() == want.size());
    CHECK(got == want);
  }
}

TEST_CASE("a crash before any flush loses no acknowledged sample (WAL replay)") {
  TempDir dir;
  int64_t now = kNow;
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    for (int i = 0; i < 50; ++i) {
      pb::WriteRequest req;
      AddRow(&req, {{"__name__", "c"}, {"i", std::to_string(i % 5)}}, {{kNow - 1000 * (50 - i), double(i)}});
      pb::WriteResponse resp;
      if (!e->Write(req, &resp).ok()) _exit(2);
    }
    _exit(0);  // no Close(): the head was never flushed
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  CHECK(e->stats().wal_replayed_records == 50);
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "c")}, kNow - 3'600'000, kNow);
  REQUIRE(got.size() == 5);
  size_t total = 0;
  for (auto& [k, v] : got) total += v.size();
  CHECK(total == 50);
}

TEST_CASE("every matcher type through the index") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "m"}, {"env", "prod"}, {"zone", "a"}}, {{kNow, 1}});
  AddRow(&req, {{"__name__", "m"}, {"env", "dev"}, {"zone", "b"}}, {{kNow, 2}});
  AddRow(&req, {{"__name__", "m"}, {"env", "staging"}}, {{kNow, 3}});
  AddRow(&req, {{"__name__", "other"}, {"env", "prod"}}, {{kNow, 4}});
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  auto count = [&](std::vector<pb::Matcher> ms) { return Search(*e, ms, kNow - 1000, kNow + 1000).size(); };
  CHECK(count({M(pb::EQUAL, "__name__", "m")}) == 3);
  CHECK(count({M(pb::EQUAL, "__name__", "m"), M(pb::NOT_EQUAL, "env", "prod")}) == 2);
  CHECK(count({M(pb::REGEX, "env", "prod|dev")}) == 3);
  CHECK(count({M(pb::REGEX, "env", "pro.*")}) == 2);
  CHECK(count({M(pb::REGEX, "env", "pro")}) == 0);  // anchored
  CHECK(count({M(pb::EQUAL, "__name__", "m"), M(pb::NOT_REGEX, "env", "d.*|s.*")}) == 1);
  CHECK(count({M(pb::EQUAL, "__name__", "m"), M(pb::EQUAL, "zone", "")}) == 1);     // label absent
  CHECK(count({M(pb::EQUAL, "__name__", "m"), M(pb::NOT_EQUAL, "zone", "")}) == 2);  // label present
  CHECK(count({M(pb::EQUAL, "__name__", "m"), M(pb::REGEX, "zone", "a|")}) == 2);   // a, or absent
  CHECK(count({M(pb::EQUAL, "__name__", "nope")}) == 0);
  // Tenants are isolated.
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "m")}, kNow - 1000, kNow + 1000, 7).empty());
}

TEST_CASE("invalid rows reject the whole batch and name the rows") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "ok"}}, {{kNow, 1}});
  AddRow(&req, {{"__name__", "bad"}, {"1x", "v"}}, {{kNow, 1}});
  AddRow(&req, {{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, {{kNow, 1}});
  AddRow(&req, {}, {{kNow, 1}});
  pb::WriteResponse resp;
  absl::Status s = e->Write(req, &resp);
  REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
  std::string msg(s.message());
  CHECK(msg.find("row 1: invalid label name") != std::string::npos);
  CHECK(msg.find("row 2: duplicate label name") != std::string::npos);
  CHECK(msg.find("row 3: empty label set") != std::string::npos);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "ok")}, kNow - 1000, kNow + 1000).empty());
  CHECK(e->stats().rejected_invalid_rows == 3);
}

TEST_CASE("retention: old samples rejected with a reason, old partitions dropped") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  o.retention_ms = 2 * kDayMs;
  auto e = *StorageEngine::Open(o);
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "r"}}, {{kNow - 3 * kDayMs, 1}, {kNow - kDayMs, 2}, {kNow, 3}, {kNow + 3 * kDayMs, 4}});
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  CHECK(resp.accepted_samples() == 2);
  CHECK(resp.rejected_samples() == 2);
  REQUIRE(resp.rejected_size() == 2);
  CHECK(resp.rejected(0).reason() == "outside_retention");
  CHECK(resp.rejected(1).reason() == "too_far_in_future");
  REQUIRE(e->Persist().ok());
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "r")}, kNow - 10 * kDayMs, kNow)["r"].size() == 2);
  now = kNow + kDayMs + 1;  // kNow - 1d's partition still ends inside retention
  REQUIRE(e->ApplyRetention().ok());
  CHECK(e->stats().partitions_dropped == 0);
  now = kNow + 2 * kDayMs;  // now its last millisecond is older than now - retention
  REQUIRE(e->ApplyRetention().ok());
  CHECK(e->stats().partitions_dropped == 1);
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "r")}, kNow - 10 * kDayMs, kNow);
  REQUIRE(got["r"].size() == 1);
  CHECK(got["r"][0].t == kNow);
}

TEST_CASE("compaction merges small blocks and applies the dedup rule") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  o.dedup_interval_ms = 10'000;
  auto e = *StorageEngine::Open(o);
  // Two HA replicas: samples every 5 s, flushed in 4 small blocks.
  for (int round = 0; round < 4; ++round) {
    pb::WriteRequest req;
    AddRow(&req, {{"__name__", "d"}}, Ramp(kNow - 3'600'000 + round * 100'000, 20, 5'000, round * 100));
    pb::WriteResponse resp;
    REQUIRE(e->Write(req, &resp).ok());
    REQUIRE(e->Persist().ok());
  }
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "d")}, kNow - 7'200'000, kNow)["d"].size() == 80);
  REQUIRE(e->Compact().ok());
  CHECK(e->stats().blocks_compacted == 4);
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "d")}, kNow - 7'200'000, kNow)["d"];
  // Samples at 0, 5, ..., 395 s (relative): bucket (k*D-D, k*D] keeps its last
  // sample, so 0 s, then 10 s ... 390 s, then the lone 395 s: 41 samples.
  REQUIRE(got.size() == 41);
  for (size_t i = 0; i + 1 < got.size(); ++i) CHECK(got[i].t % 10'000 == 0);
  CHECK(got.back().t % 10'000 == 5'000);
}

TEST_CASE("labels, label values, tsdb status, delete") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteRequest req;
  for (int i = 0; i < 6; ++i) {
    AddRow(&req, {{"__name__", i < 4 ? "http_requests" : "up"}, {"code", std::to_string(200 + i % 2)},
                  {"inst", "i" + std::to_string(i)}},
           {{kNow, double(i)}});
  }
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());

  pb::LabelNamesRequest ln;
  pb::LabelNamesResponse lnr;
  REQUIRE(e->LabelNames(ln, &lnr).ok());
  CHECK(std::vector<std::string>(lnr.names().begin(), lnr.names().end()) ==
        std::vector<std::string>{"__name__", "code", "inst"});

  pb::LabelValuesRequest lv;
  lv.set_name("inst");
  *lv.add_matchers() = M(pb::EQUAL, "__name__", "up");
  pb::LabelValuesResponse lvr;
  REQUIRE(e->LabelValues(lv, &lvr).ok());
  CHECK(std::vector<std::string>(lvr.values().begin(), lvr.values().end()) == std::vector<std::string>{"i4", "i5"});
  // A time range with no data has no values.
  lv.set_min_time_ms(kNow - 10 * kDayMs);
  lv.set_max_time_ms(kNow - 9 * kDayMs);
  lvr.Clear();
  REQUIRE(e->LabelValues(lv, &lvr).ok());
  CHECK(lvr.values_size() == 0);

  pb::TSDBStatusRequest st;
  pb::TSDBStatusResponse str;
  REQUIRE(e->TSDBStatus(st, &str).ok());
  CHECK(str.total_series() == 6);
  REQUIRE(str.series_count_by_metric_name_size() == 2);
  CHECK(str.series_count_by_metric_name(0).name() == "http_requests");
  CHECK(str.series_count_by_metric_name(0).count() == 4);

  pb::DeleteRequest del;
  *del.add_matchers() = M(pb::EQUAL, "__name__", "http_requests");
  *del.add_matchers() = M(pb::EQUAL, "code", "200");
  pb::DeleteResponse delr;
  REQUIRE(e->Delete(del, &delr).ok());
  CHECK(delr.deleted_series() == 2);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "http_requests")}, kNow - 1000, kNow + 1000).size() == 2);
  pb::DeleteRequest none;
  CHECK(e->Delete(none, &delr).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("snapshots: create, list, delete, reject traversal") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "s"}}, {{kNow, 1}});
  pb::WriteResponse resp;
  REQUIRE(e->Write(req, &resp).ok());
  auto name = e->CreateSnapshot();
  REQUIRE(name.ok());
  CHECK(fs::exists(fs::path(dir.path) / "snapshots" / *name / "index" / "CURRENT"));
  CHECK(*e->ListSnapshots() == std::vector<std::string>{*name});
  // The snapshot is a working database holding the flushed sample.
  {
    EngineOptions o = Opts((fs::path(dir.path) / "snapshots" / *name).string(), &now);
    auto copy = *StorageEngine::Open(o);
    CHECK(Search(*copy, {M(pb::EQUAL, "__name__", "s")}, kNow - 1000, kNow + 1000).size() == 1);
  }
  CHECK(e->DeleteSnapshot("../index").code() == absl::StatusCode::kInvalidArgument);
  CHECK(e->DeleteSnapshot("nope").code() == absl::StatusCode::kNotFound);
  REQUIRE(e->DeleteSnapshot(*name).ok());
  CHECK(e->ListSnapshots()->empty());
}

TEST_CASE("export by placement and import elsewhere") {
  TempDir a_dir, b_dir;
  int64_t now = kNow;
  auto a = *StorageEngine::Open(Opts(a_dir.path, &now));
  auto b = *StorageEngine::Open(Opts(b_dir.path, &now));
  pb::WriteRequest req;
  for (int i = 0; i < 40; ++i) AddRow(&req, {{"__name__", "e"}, {"i", std::to_string(i)}}, Ramp(kNow - 60'000, 3, 15'000));
  pb::WriteResponse resp;
  REQUIRE(a->Write(req, &resp).ok());
  REQUIRE(a->Persist().ok());

  pb::ExportRequest ex;
  ex.mutable_filter()->add_nodes("n1");
  ex.mutable_filter()->add_nodes("n2");
  ex.mutable_filter()->set_replication_factor(1);
  ex.mutable_filter()->set_node("n2");
  ex.mutable_filter()->set_owned(true);
  Rendezvous ring({"n1", "n2"});
  size_t exported = 0, imported_samples = 0;
  REQUIRE(a->Export(ex, [&](pb::ExportedSeries&& s) {
               auto ls = *LabelsFromProto(s.labels());
               CHECK(ring.Owns(ls.Hash(), 1, 1));
               ++exported;
               uint64_t n = 0;
               REQUIRE(b->Import(s, &n).ok());
               imported_samples += n;
               return true;
             }).ok());
  CHECK(exported > 5);
  CHECK(exported < 35);
  CHECK(imported_samples == exported * 3);
  CHECK(Search(*b, {M(pb::EQUAL, "__name__", "e")}, kNow - 3'600'000, kNow).size() == exported);
  pb::NodeInfoResponse info;
  REQUIRE(a->NodeInfo(&info).ok());
  CHECK(info.node_id().size() == 16);
  CHECK(info.partitions_size() == 1);
  CHECK(info.bytes_on_disk() > 0);
}

// Posting lists are cached in memory once read: a series added or deleted later
// must show up in (or vanish from) the next search of the same matchers.
TEST_CASE("cached posting lists follow new and deleted series") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  auto write = [&](std::string instance) {
    pb::WriteRequest req;
    pb::WriteResponse resp;
    AddRow(&req, {{"__name__", "up"}, {"job", "node"}, {"instance", instance}}, Ramp(kNow - 60'000, 3, 15'000));
    REQUIRE(e->Write(req, &resp).ok());
  };
  const std::vector<pb::Matcher> job = {M(pb::EQUAL, "job", "node")};
  const std::vector<pb::Matcher> regex = {M(pb::REGEX, "instance", "a|b|c")};
  write("a");
  CHECK(Search(*e, job, kNow - 3600'000, kNow).size() == 1);
  CHECK(Search(*e, regex, kNow - 3600'000, kNow).size() == 1);
  write("b");
  CHECK(Search(*e, job, kNow - 3600'000, kNow).size() == 2);
  CHECK(Search(*e, regex, kNow - 3600'000, kNow).size() == 2);
  REQUIRE(e->Persist().ok());  // blocks, same postings
  write("c");
  CHECK(Search(*e, job, kNow - 3600'000, kNow).size() == 3);

  pb::DeleteRequest del;
  *del.add_matchers() = M(pb::EQUAL, "instance", "b");
  pb::DeleteResponse dresp;
  REQUIRE(e->Delete(del, &dresp).ok());
  CHECK(dresp.deleted_series() == 1);
  auto left = Search(*e, job, kNow - 3600'000, kNow);
  CHECK(left.size() == 2);
  CHECK(left.count("up{instance=\"b\", job=\"node\"}") == 0);
  CHECK(Search(*e, regex, kNow - 3600'000, kNow).size() == 2);

  // Written again, the deleted series comes back (its label bytes are still in the
  // write path's cache; its index entries and head are not).
  write("b");
  auto back = Search(*e, job, kNow - 3600'000, kNow);
  CHECK(back.size() == 3);
  CHECK(back["up{instance=\"b\", job=\"node\"}"].size() == 3);
  CHECK(Search(*e, regex, kNow - 3600'000, kNow).size() == 3);
}

// A known series' rows skip the per-day index probe while they stay on the day
// already indexed; a row on a new day (alone, or spanning two) must still add
// that day's postings, or the series would vanish from searches of that day.
TEST_CASE("a known series gets postings for each new day it writes to") {
  TempDir dir;
  int64_t now = kNow + 2 * 86'400'000;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  const std::vector<Label> labels = {{"__name__", "up"}, {"job", "node"}};
  auto write = [&](std::vector<Sample> samples) {
    pb::WriteRequest req;
    pb::WriteResponse resp;
    AddRow(&req, labels, std::move(samples));
    REQUIRE(e->Write(req, &resp).ok());
    REQUIRE(resp.accepted_samples() > 0);
  };
  const std::vector<pb::Matcher> up = {M(pb::EQUAL, "__name__", "up")};
  const int64_t day = 86'400'000;
  write(Ramp(kNow - 60'000, 2, 15'000));  // day D-1: indexed as a new series
  write(Ramp(kNow - 30'000, 2, 15'000));  // day D-1 again: the cached path
  write(Ramp(kNow + 1'000, 2, 15'000));   // day D only
  write({{kNow + day - 1'000, 1}, {kNow + day + 1'000, 2}});  // days D and D+1 in one row
  write(Ramp(kNow + day + 5'000, 2, 15'000));                 // day D+1 again
  for (int pass = 0; pass < 2; ++pass) {
    INFO("pass " << pass << (pass ? " (after flush)" : ""));
    auto d0 = Search(*e, up, kNow, kNow + 3'600'000);
    REQUIRE(d0.size() == 1);
    CHECK(d0.begin()->second.size() == 2);
    auto d1 = Search(*e, up, kNow + day, kNow + day + 3'600'000);
    REQUIRE(d1.size() == 1);
    CHECK(d1.begin()->second.size() == 3);
    auto all = Search(*e, up, kNow - day, kNow + 2 * day);
    REQUIRE(all.size() == 1);
    CHECK(all.begin()->second.size() == 10);
    REQUIRE(e->Persist().ok());
  }
}

// Each search reads the partition list from memory (Index::Days); a write that
// opens a new partition must show in the next search, a dropped one must not.
TEST_CASE("a search right after a write to a new day finds it, and not a dropped day") {
  TempDir dir;
  int64_t now = kNow + 2 * 86'400'000;
  EngineOptions o = Opts(dir.path, &now);
  o.retention_ms = 10 * 86'400'000LL;
  auto e = *StorageEngine::Open(o);
  const int64_t day = 86'400'000;
  const std::vector<pb::Matcher> up = {M(pb::EQUAL, "__name__", "up")};
  auto write = [&](int64_t t) {
    pb::WriteRequest req;
    pb::WriteResponse resp;
    AddRow(&req, {{"__name__", "up"}, {"job", "node"}}, {{t, 1}});
    REQUIRE(e->Write(req, &resp).ok());
    REQUIRE(resp.accepted_samples() == 1);
  };
  write(kNow - day);
  CHECK(Search(*e, up, kNow - 2 * day, kNow + 2 * day).begin()->second.size() == 1);
  write(kNow);  // a new partition
  CHECK(Search(*e, up, kNow - 2 * day, kNow + 2 * day).begin()->second.size() == 2);
  CHECK(Search(*e, up, kNow, kNow + 1000).begin()->second.size() == 1);
  write(kNow + day);  // and another, now with a flush between
  REQUIRE(e->Persist().ok());
  CHECK(Search(*e, up, kNow + day, kNow + day + 1000).begin()->second.size() == 1);
  now = kNow + 11 * day;  // the first two partitions fall out of retention
  REQUIRE(e->ApplyRetention().ok());
  CHECK(e->stats().partitions_dropped == 2);
  auto left = Search(*e, up, kNow - 2 * day, kNow + 2 * day);
  REQUIRE(left.size() == 1);
  CHECK(left.begin()->second.size() == 1);
  CHECK(left.begin()->second[0].t == kNow + day);
}

// WriteCompressed's zstd frame goes into the WAL as it came, and replay reads it
// back; a plain request whose bytes start like a frame (an unknown leading field)
// and a frame whose rows were partly dropped are both re-encoded instead.
TEST_CASE("WAL records hold compressed writes as frames and replay them") {
  TempDir dir;
  int64_t now = kNow;
  size_t raw_bytes = 0;
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    auto check = [](bool ok) {
      if (!ok) _exit(2);
    };
    pb::WriteResponse resp;
    // 1. 200 rows as a frame.
    pb::WriteRequest big;
    for (int i = 0; i < 200; ++i) {
      AddRow(&big, {{"__name__", "framed"}, {"instance", "host-" + std::to_string(i)}, {"job", "node_exporter"}},
             {{kNow - 1000, double(i)}});
    }
    std::string raw = big.SerializeAsString(), frame;
    ZstdCompress(raw, 1, &frame);
    check(e->Write(raw, &resp, frame).ok() && resp.accepted_samples() == 200);
    // 2. A frame with one sample outside retention: re-encoded without it.
    pb::WriteRequest part;
    AddRow(&part, {{"__name__", "partly"}}, {{kNow - 1000, 1}, {kNow - 40LL * 86'400'000, 2}});
    raw = part.SerializeAsString();
    ZstdCompress(raw, 1, &frame);
    check(e->Write(raw, &resp, frame).ok() && resp.accepted_samples() == 1 && resp.rejected_samples() == 1);
    // 3. A plain request starting with the frame magic: field 5 varint 0x2FB5,
    // then field 31 fixed32, both unknown and skipped.
    pb::WriteRequest odd;
    AddRow(&odd, {{"__name__", "odd"}}, {{kNow - 1000, 3}});
    raw = std::string("\x28\xB5\x2F\xFD\x01\x00\x00\x00\x00", 9) + odd.SerializeAsString();
    check(IsZstdFrame(raw));
    check(e->Write(raw, &resp).ok() && resp.accepted_samples() == 1);
    _exit(0);  // no Close(): the head was never flushed
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  // The 200 rows' raw bytes vs the whole WAL: only a frame is this small.
  {
    pb::WriteRequest big;
    for (int i = 0; i < 200; ++i) {
      AddRow(&big, {{"__name__", "framed"}, {"instance", "host-" + std::to_string(i)}, {"job", "node_exporter"}},
             {{kNow - 1000, double(i)}});
    }
    raw_bytes = big.ByteSizeLong();
  }
  size_t wal_bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir.path + "/wal")) {
    if (f.is_regular_file()) wal_bytes += f.file_size();
  }
  CHECK(wal_bytes < raw_bytes / 2);
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  CHECK(e->stats().wal_replayed_records == 3);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "framed")}, kNow - 3'600'000, kNow).size() == 200);
  auto partly = Search(*e, {M(pb::EQUAL, "__name__", "partly")}, kNow - 3'600'000, kNow);
  REQUIRE(partly.size() == 1);
  CHECK(partly.begin()->second == std::vector<Sample>{{kNow - 1000, 1}});
  auto odd = Search(*e, {M(pb::EQUAL, "__name__", "odd")}, kNow - 3'600'000, kNow);
  REQUIRE(odd.size() == 1);
  CHECK(odd.begin()->second == std::vector<Sample>{{kNow - 1000, 3}});
}

// Search answers carry labels as Label messages or, when the client accepts them,
// as TimeSeries.labels entries: the same series and labels either way, whether the
// labels come from the index's cache or from RocksDB (after a reopen).
TEST_CASE("search labels as entries equal labels as messages") {
  TempDir dir;
  int64_t now = kNow;
  {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    pb::WriteRequest req;
    for (int i = 0; i < 1500; ++i) {
      AddRow(&req, {{"__name__", "m"}, {"i", std::to_string(i)}, {"job", i % 2 ? "a" : std::string("\xc3\xa9t\xc3\xa9")},
                    {"zone", std::string(i % 300, 'z')}},
             {{kNow - 1000, double(i)}});
    }
    pb::WriteResponse resp;
    REQUIRE(e->Write(req, &resp).ok());
    auto messages = Search(*e, {M(pb::EQUAL, "__name__", "m")}, kNow - 3'600'000, kNow);
    auto entries = Search(*e, {M(pb::EQUAL, "__name__", "m")}, kNow - 3'600'000, kNow, 0, true);
    CHECK(messages.size() == 1500);
    CHECK(entries == messages);
    REQUIRE(e->Persist().ok());
  }
  auto e = *StorageEngine::Open(Opts(dir.path, &now));  // cold label cache
  auto entries = Search(*e, {M(pb::EQUAL, "__name__", "m")}, kNow - 3'600'000, kNow, 0, true);
  auto messages = Search(*e, {M(pb::EQUAL, "__name__", "m")}, kNow - 3'600'000, kNow);
  CHECK(entries.size() == 1500);
  CHECK(entries == messages);
}

TEST_CASE("head samples packed for the client that asks equal them raw") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteResponse resp;
  // Half of the series persisted into blocks first, then more samples for all of
  // them in the head, out of order and with a duplicate timestamp, so the head part
  // is sorted and collapsed before it is sent.
  pb::WriteRequest first;
  for (int i = 0; i < 40; i += 2) {
    AddRow(&first, {{"__name__", "p"}, {"i", std::to_string(i)}}, Ramp(kNow - 1'200'000, 20, 15'000, i));
  }
  REQUIRE(e->Write(first, &resp).ok());
  REQUIRE(e->Persist().ok());
  pb::WriteRequest later;
  for (int i = 0; i < 40; ++i) {
    AddRow(&later, {{"__name__", "p"}, {"i", std::to_string(i)}},
           {{kNow - 30'000, 1.5 * i}, {kNow - 60'000, StaleNaN()}, {kNow - 45'000, -0.0}, {kNow - 30'000, 2.5 * i}});
  }
  REQUIRE(e->Write(later, &resp).ok());
  const auto matchers = std::vector<pb::Matcher>{M(pb::EQUAL, "__name__", "p")};
  auto raw = Search(*e, matchers, kNow - 3'600'000, kNow, 0, true, /*packed=*/false);
  auto packed = Search(*e, matchers, kNow - 3'600'000, kNow, 0, true, /*packed=*/true);
  REQUIRE(raw.size() == 40);
  CHECK(raw["p{i=\"2\"}"].size() == 23);
  CHECK(raw["p{i=\"3\"}"].size() == 3);
  CHECK(packed == raw);
  // The head block is really sent packed, and smaller.
  pb::SearchRequest req;
  *req.add_matchers() = matchers[0];
  req.set_min_time_ms(kNow - 3'600'000);
  req.set_max_time_ms(kNow);
  size_t packed_blocks = 0;
  REQUIRE(e->Search(req, [&](pb::SearchSeries&&) { return true; }).ok());
  req.set_accept_packed_samples(true);
  // Per series: the first head sample arrived in order and is the head's packed run,
  // sent as it is; the three that came after it out of order go sorted and
  // collapsed in a block of their own. Select collapses the two blocks' shared
  // timestamp (the equality above).
  REQUIRE(e->Search(req, [&](pb::SearchSeries&& series) {
               std::vector<uint32_t> counts;
               for (const auto& b : series.blocks()) {
                 if (b.packed_samples().empty()) continue;
                 ++packed_blocks;
                 counts.push_back(b.samples());
                 // A first sample takes 16 bytes, the ones after it less.
                 CHECK(b.packed_samples().size() < 1 + b.samples() * 16 - (b.samples() > 1 ? 16 : 0));
               }
               CHECK(counts == std::vector<uint32_t>{1, 3});
               return true;
             }).ok());
  CHECK(packed_blocks == 80);
}

TEST_CASE("a search with reference times sends only the head samples those times read") {
  TempDir dir;
  int64_t now = kNow;
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  pb::WriteResponse resp;
  // Even series have blocks (20 samples from 20 minutes ago); every series has 40
  // samples every 15 s in the head, the last 10 minutes.
  pb::WriteRequest first;
  for (int i = 0; i < 20; i += 2) {
    AddRow(&first, {{"__name__", "g"}, {"i", std::to_string(i)}}, Ramp(kNow - 1'200'000, 20, 15'000, i));
  }
  REQUIRE(e->Write(first, &resp).ok());
  REQUIRE(e->Persist().ok());
  pb::WriteRequest later;
  for (int i = 0; i < 20; ++i) {
    AddRow(&later, {{"__name__", "g"}, {"i", std::to_string(i)}}, Ramp(kNow - 585'000, 40, 15'000, 100 + i));
  }
  REQUIRE(e->Write(later, &resp).ok());
  const auto matchers = std::vector<pb::Matcher>{M(pb::EQUAL, "__name__", "g")};
  const int64_t mint = kNow - 1'500'000;
  // A range query over the last 25 minutes with a 70 s step (offset so that no
  // reference time falls on a sample).
  const RefGrid grid{.first = mint + 5'000, .step = 70'000, .count = 21};
  for (bool packed : {false, true}) {
    auto all = Search(*e, matchers, mint, kNow, 0, true, packed);
    auto some = Search(*e, matchers, mint, kNow, 0, true, packed, grid);
    REQUIRE(some.size() == 20);
    for (int i = 0; i < 20; ++i) {
      const std::string name = "g{i=\"" + std::to_string(i) + "\"}";
      const std::vector<Sample>& samples = all[name];
      INFO(name << (packed ? " packed" : " raw"));
      std::vector<Sample> want = samples;
      KeepLatestAtRefs(grid, &want);
      // Every reference time reads the same sample as from the whole series.
      std::vector<Sample> got = some[name];
      KeepLatestAtRefs(grid, &got);
      CHECK(got == want);
      if (i % 2 == 0) {
        // The blocks are sent whole, the head samples filtered.
        const auto in_head = std::count_if(want.begin(), want.end(), [](const Sample& x) { return x.t >= kNow - 600'000; });
        CHECK(some[name].size() == 20 + static_cast<size_t>(in_head));
      } else {
        // Head-only series lose every sample no reference time reads.
        CHECK(some[name] == want);
        CHECK(want.size() < samples.size() / 3);
      }
    }
  }
  // One reference time: one sample per head-only series.
  auto one = Search(*e, matchers, mint, kNow, 0, true, true, RefGrid{.first = kNow - 100'000, .step = 0, .count = 1});
  CHECK(one["g{i=\"1\"}"] == std::vector<Sample>{{kNow - 105'000, 133.0}});

  pb::SearchRequest bad;
  *bad.add_matchers() = matchers[0];
  bad.set_min_time_ms(mint);
  bad.set_max_time_ms(kNow);
  bad.mutable_instant_refs()->set_count(3);
  bad.mutable_instant_refs()->set_step_ms(0);
  absl::Status st = e->Search(bad, [](pb::SearchSeries&&) { return true; });
  CHECK(absl::IsInvalidArgument(st));
  CHECK(st.message().find("step_ms") != std::string_view::npos);
}
