// Reference rows (TimeSeries.series_id, ADR 8): the series id instead of labels, for
// a series this process stored a sample of in full.
#include "libs/storage/engine.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "libs/storage/engine_test_util.h"

using namespace strata;
using namespace strata::storage;
using namespace strata::storage::testing;

namespace {

void AddRefRow(pb::WriteRequest* req, uint64_t sid, std::vector<Sample> samples, uint32_t account = 0) {
  auto* ts = req->add_series();
  ts->set_account_id(account);
  ts->set_series_id(sid);
  for (auto& s : samples) {
    auto* ps = ts->add_samples();
    ps->set_timestamp_ms(s.t);
    ps->set_value(s.v);
  }
}

}  // namespace

TEST_CASE("reference rows are stored for series the node holds and refuse the whole batch otherwise") {
  TempDir dir;
  int64_t now = kNow;
  EngineOptions o = Opts(dir.path, &now);
  o.retention_ms = 7 * 86'400'000LL;
  auto e = *StorageEngine::Open(o);
  const int64_t day = 86'400'000;
  const std::vector<Label> up = {{"__name__", "up"}, {"job", "node"}};
  const uint64_t sid = Labels::FromPairs(up)->Hash();
  const std::vector<pb::Matcher> any = {M(pb::REGEX, "__name__", ".+")};
  pb::WriteResponse resp;

  // Never written in full: refused with every other row of its batch.
  pb::WriteRequest req;
  AddRow(&req, {{"__name__", "other"}}, {{kNow, 1}});
  AddRefRow(&req, sid, {{kNow, 1}});
  absl::Status s = e->Write(req, &resp);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("row 1 (series_id ") != std::string_view::npos);
  CHECK(IsUnknownSeriesReference(s));
  CHECK_FALSE(IsUnknownSeriesReference(absl::FailedPreconditionError("wal is closed")));
  CHECK(Search(*e, any, kNow - day, kNow + day).empty());
  CHECK(e->stats().refused_unknown_refs == 1);

  // Written in full once: then by reference, in this tenant only.
  req.Clear();
  AddRow(&req, up, {{kNow - 30'000, 1}});
  REQUIRE(e->Write(req, &resp).ok());
  req.Clear();
  AddRefRow(&req, sid, {{kNow - 15'000, 2}, {kNow, 3}});
  REQUIRE(e->Write(req, &resp).ok());
  CHECK(resp.accepted_samples() == 2);
  req.Clear();
  AddRefRow(&req, sid, {{kNow, 3}}, /*account=*/5);
  CHECK(e->Write(req, &resp).code() == absl::StatusCode::kFailedPrecondition);
  auto got = Search(*e, {M(pb::EQUAL, "__name__", "up")}, kNow - day, kNow + day);
  REQUIRE(got.size() == 1);
  CHECK(got.begin()->first == Labels::FromPairs(up)->ToString());
  CHECK(got.begin()->second.size() == 3);

  // Labels and a series id in one row is malformed.
  req.Clear();
  AddRow(&req, up, {{kNow, 4}});
  req.mutable_series(0)->set_series_id(sid);
  CHECK(e->Write(req, &resp).code() == absl::StatusCode::kInvalidArgument);

  // After a flush emptied the head, on a day the series has no postings for yet:
  // the labels come from the index, and the new day is indexed.
  REQUIRE(e->Persist().ok());
  req.Clear();
  AddRefRow(&req, sid, {{kNow + day + 1'000, 5}});
  REQUIRE(e->Write(req, &resp).ok());
  got = Search(*e, {M(pb::EQUAL, "job", "node")}, kNow + day, kNow + day + 60'000);
  REQUIRE(got.size() == 1);
  CHECK(got.begin()->first == Labels::FromPairs(up)->ToString());
  REQUIRE(got.begin()->second.size() == 1);
  CHECK(got.begin()->second[0].v == 5);

  // A series whose full row kept no sample (outside retention) is not held.
  const std::vector<Label> old = {{"__name__", "old"}};
  req.Clear();
  AddRow(&req, old, {{kNow - 30 * day, 1}});
  AddRow(&req, {{"__name__", "other"}}, {{kNow, 1}});
  REQUIRE(e->Write(req, &resp).ok());
  CHECK(resp.accepted_samples() == 1);
  req.Clear();
  AddRefRow(&req, Labels::FromPairs(old)->Hash(), {{kNow, 2}});
  CHECK(e->Write(req, &resp).code() == absl::StatusCode::kFailedPrecondition);

  // A deleted series is no longer held.
  pb::DeleteRequest del;
  *del.add_matchers() = M(pb::EQUAL, "__name__", "up");
  pb::DeleteResponse dresp;
  REQUIRE(e->Delete(del, &dresp).ok());
  req.Clear();
  AddRefRow(&req, sid, {{kNow + 1'000, 6}});
  CHECK(e->Write(req, &resp).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "up")}, kNow - day, kNow + 2 * day).empty());
}

// The case of a full row already truncated from the WAL (a flush between it and the
// reference rows) needs a flush in the crashing process: storage_grpc_test kills a
// real node for it (RocksDB's threads do not survive fork()).
TEST_CASE("reference rows replay after a crash") {
  TempDir dir;
  int64_t now = kNow;
  const int64_t day = 86'400'000;
  const std::vector<Label> a = {{"__name__", "a"}}, b = {{"__name__", "b"}};
  const uint64_t sa = Labels::FromPairs(a)->Hash(), sb = Labels::FromPairs(b)->Hash();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    auto write = [&](pb::WriteRequest& req) {
      pb::WriteResponse resp;
      if (!e->Write(req, &resp).ok() || resp.accepted_samples() == 0) _exit(2);
      req.Clear();
    };
    pb::WriteRequest req;
    AddRow(&req, a, {{kNow - 60'000, 1}});
    write(req);
    AddRefRow(&req, sa, {{kNow - 45'000, 2}});
    write(req);
    AddRefRow(&req, sa, {{kNow + day, 3}});  // a new day: postings from the index's labels
    AddRow(&req, b, {{kNow - 30'000, 10}});
    write(req);
    AddRefRow(&req, sb, {{kNow - 15'000, 11}});
    write(req);
    _exit(0);  // no Close()
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  auto got = Search(*e, {M(pb::REGEX, "__name__", "a|b")}, kNow - day, kNow + 2 * day);
  REQUIRE(got.size() == 2);
  CHECK(got[Labels::FromPairs(a)->ToString()].size() == 3);
  CHECK(got[Labels::FromPairs(b)->ToString()].size() == 2);
  CHECK(Search(*e, {M(pb::EQUAL, "__name__", "a")}, kNow + day - 1, kNow + day + 1).size() == 1);
  // What a node holds is known per process: after the restart a reference is refused
  // until the series comes in full again.
  pb::WriteRequest req;
  pb::WriteResponse resp;
  AddRefRow(&req, sb, {{kNow, 12}});
  CHECK(e->Write(req, &resp).code() == absl::StatusCode::kFailedPrecondition);
  req.Clear();
  AddRow(&req, b, {{kNow, 12}});
  REQUIRE(e->Write(req, &resp).ok());
  req.Clear();
  AddRefRow(&req, sb, {{kNow + 15'000, 13}});
  REQUIRE(e->Write(req, &resp).ok());
}

// A write acknowledged while a Delete ran (after its flush, before the series left
// the index) stays in the WAL with reference rows of a series the index no longer
// holds. Replay drops those rows, not the record: the other rows were acknowledged.
// The record is appended to the closed engine's WAL by hand, as such a race leaves it.
TEST_CASE("replay drops reference rows of a deleted series and keeps the rest of their record") {
  TempDir dir;
  int64_t now = kNow;
  const std::vector<Label> gone = {{"__name__", "gone"}}, kept = {{"__name__", "kept"}};
  {
    auto e = *StorageEngine::Open(Opts(dir.path, &now));
    pb::WriteRequest req;
    pb::WriteResponse resp;
    AddRow(&req, gone, {{kNow - 60'000, 1}});
    AddRow(&req, kept, {{kNow - 60'000, 1}});
    REQUIRE(e->Write(req, &resp).ok());
    pb::DeleteRequest del;
    *del.add_matchers() = M(pb::EQUAL, "__name__", "gone");
    pb::DeleteResponse dresp;
    REQUIRE(e->Delete(del, &dresp).ok());
    REQUIRE(e->Close().ok());
  }
  {
    pb::WriteRequest req;
    AddRefRow(&req, Labels::FromPairs(gone)->Hash(), {{kNow - 30'000, 2}});
    AddRefRow(&req, Labels::FromPairs(kept)->Hash(), {{kNow - 30'000, 2}});
    AddRow(&req, {{"__name__", "new"}}, {{kNow - 30'000, 2}});
    auto log = wal::Wal::Open(dir.path + "/wal", wal::Options{.fsync_policy = wal::FsyncPolicy::kNever});
    REQUIRE(log.ok());
    REQUIRE((*log)->Append(req.SerializeAsString()).ok());
    REQUIRE((*log)->Close().ok());
  }
  auto e = *StorageEngine::Open(Opts(dir.path, &now));
  CHECK(e->stats().wal_replay_errors == 0);
  CHECK(e->stats().wal_replay_dropped_ref_rows == 1);
  auto got = Search(*e, {M(pb::REGEX, "__name__", ".+")}, kNow - 3'600'000, kNow);
  CHECK(got.count(Labels::FromPairs(gone)->ToString()) == 0);
  REQUIRE(got.count(Labels::FromPairs(kept)->ToString()) == 1);
  CHECK(got[Labels::FromPairs(kept)->ToString()].size() == 2);
  CHECK(got.count(Labels::FromPairs({{"__name__", "new"}})->ToString()) == 1);
}
