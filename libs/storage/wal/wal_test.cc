#include "libs/storage/wal/wal.h"

#include <catch2/catch.hpp>

#include "libs/storage/wal/env.h"
#include "libs/storage/wal/record_format.h"
#include "libs/storage/wal/wal_test_util.h"

namespace strata::wal {
namespace {

using testing::Replayed;
using testing::ReplayAll;
using testing::SegmentPathIn;
using testing::TempDir;

std::string Rec(int i, size_t size = 0) {
  std::string s = "record-" + std::to_string(i);
  if (s.size() < size) s.append(size - s.size(), static_cast<char>('a' + i % 26));
  return s;
}

std::unique_ptr<Wal> MustOpen(const std::string& dir, Options opts = {}) {
  auto w = Wal::Open(dir, opts);
  REQUIRE(w.ok());
  return std::move(w).value();
}

TEST_CASE("fsync policy flag values", "[wal]") {
  CHECK(ParseFsyncPolicy("always").value() == FsyncPolicy::kAlways);
  CHECK(ParseFsyncPolicy("interval").value() == FsyncPolicy::kInterval);
  CHECK(ParseFsyncPolicy("never").value() == FsyncPolicy::kNever);
  CHECK(absl::IsInvalidArgument(ParseFsyncPolicy("sometimes").status()));
  CHECK(FsyncPolicyName(FsyncPolicy::kInterval) == "interval");
  CHECK(PositionToString(Position{3, 16}) == "3:16");
}

TEST_CASE("append then replay returns every record in order", "[wal]") {
  TempDir dir;
  std::vector<Position> appended;
  {
    auto wal = MustOpen(dir.path());
    for (int i = 0; i < 100; ++i) {
      auto pos = wal->Append(Rec(i, i * 37));
      REQUIRE(pos.ok());
      appended.push_back(*pos);
    }
    // Empty records are records too.
    REQUIRE(wal->Append("").ok());
    CHECK(wal->stats().records_appended == 101);
    // Replay works on a live WAL.
    Replayed live;
    REQUIRE(ReplayAll(*wal, &live).ok());
    CHECK(live.records.size() == 101);
    REQUIRE(wal->Close().ok());
    CHECK(absl::IsFailedPrecondition(wal->Append("late").status()));
  }
  for (size_t i = 1; i < appended.size(); ++i) CHECK(appended[i - 1] < appended[i]);
  CHECK(appended[0] == Position{1, kSegmentHeaderSize});

  auto wal = MustOpen(dir.path());
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  REQUIRE(got.records.size() == 101);
  for (int i = 0; i < 100; ++i) {
    CHECK(got.records[i] == Rec(i, i * 37));
    CHECK(got.positions[i] == appended[i]);
  }
  CHECK(got.records[100].empty());
  CHECK(wal->stats().torn_tails_truncated == 0);
  // Reopening starts a new segment after the one holding records.
  CHECK(wal->EndPosition() == Position{2, kSegmentHeaderSize});
}

TEST_CASE("reopening a WAL without records reuses its segment", "[wal]") {
  TempDir dir;
  { auto wal = MustOpen(dir.path()); }
  auto wal = MustOpen(dir.path());
  CHECK(wal->EndPosition() == Position{1, kSegmentHeaderSize});
}

TEST_CASE("records larger than the read-ahead and the segment size", "[wal]") {
  TempDir dir;
  Options opts;
  opts.segment_size = 64 << 10;
  const std::string big(1 << 20, 'x');
  std::string big2(3 << 20, 'y');
  big2[12345] = 'z';
  {
    auto wal = MustOpen(dir.path(), opts);
    REQUIRE(wal->Append("small").ok());
    REQUIRE(wal->Append(big).ok());
    REQUIRE(wal->Append(big2).ok());
    REQUIRE(wal->Append("tail").ok());
  }
  auto wal = MustOpen(dir.path(), opts);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  REQUIRE(got.records.size() == 4);
  CHECK(got.records[1] == big);
  CHECK(got.records[2] == big2);
  CHECK(got.records[3] == "tail");
  // Each big record went to a segment of its own.
  CHECK(got.positions[1].segment == 2);
  CHECK(got.positions[2].segment == 3);
}

TEST_CASE("segments roll at the size limit, TruncateBefore deletes whole segments",
          "[wal]") {
  TempDir dir;
  Options opts;
  opts.segment_size = 4096;
  auto wal = MustOpen(dir.path(), opts);
  std::vector<Position> pos;
  for (int i = 0; i < 200; ++i) {
    auto p = wal->Append(Rec(i, 100));
    REQUIRE(p.ok());
    pos.push_back(*p);
  }
  const uint64_t last_segment = pos.back().segment;
  CHECK(last_segment >= 5);
  for (const Position& p : pos) CHECK(p.offset + kRecordHeaderSize + 100 <= opts.segment_size);
  for (uint64_t s = 1; s <= last_segment; ++s) {
    CHECK(Env::Default()->FileSize(SegmentPathIn(dir.path(), s)).value() <= opts.segment_size);
  }

  // Checkpoint at record 120: segments wholly before it go, its own stays.
  const Position cut = pos[120];
  REQUIRE(wal->TruncateBefore(cut).ok());
  for (uint64_t s = 1; s < cut.segment; ++s) {
    CHECK(absl::IsNotFound(Env::Default()->FileSize(SegmentPathIn(dir.path(), s)).status()));
  }
  CHECK(Env::Default()->FileSize(SegmentPathIn(dir.path(), cut.segment)).ok());
  CHECK(wal->stats().segments_deleted == cut.segment - 1);

  Replayed got;
  REQUIRE(ReplayAll(*wal, &got, cut).ok());
  REQUIRE(got.records.size() == 80);
  CHECK(got.records.front() == Rec(120, 100));
  CHECK(got.positions.front() == cut);

  // Never deletes the active segment, even asked to truncate past the end.
  REQUIRE(wal->TruncateBefore(Position{1000, 0}).ok());
  CHECK(Env::Default()->FileSize(SegmentPathIn(dir.path(), last_segment)).ok());
  REQUIRE(wal->Append("after").ok());
  Replayed rest;
  REQUIRE(ReplayAll(*wal, &rest).ok());
  CHECK(rest.records.back() == "after");
}

TEST_CASE("replay from a position inside a segment", "[wal]") {
  TempDir dir;
  auto wal = MustOpen(dir.path());
  std::vector<Position> pos;
  for (int i = 0; i < 10; ++i) pos.push_back(wal->Append(Rec(i)).value());
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got, pos[7]).ok());
  REQUIRE(got.records.size() == 3);
  CHECK(got.records[0] == Rec(7));
  CHECK(got.positions[2] == pos[9]);

  Replayed none;
  REQUIRE(ReplayAll(*wal, &none, wal->EndPosition()).ok());
  CHECK(none.records.empty());
}

TEST_CASE("Rotate starts a new segment and returns its first position", "[wal]") {
  TempDir dir;
  auto wal = MustOpen(dir.path());
  REQUIRE(wal->Append("a").ok());
  auto cut = wal->Rotate();
  REQUIRE(cut.ok());
  CHECK(*cut == Position{2, kSegmentHeaderSize});
  auto p = wal->Append("b");
  REQUIRE(p.ok());
  CHECK(*p == *cut);
  REQUIRE(wal->TruncateBefore(*cut).ok());
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"b"});
}

TEST_CASE("replay callback error stops the replay", "[wal]") {
  TempDir dir;
  auto wal = MustOpen(dir.path());
  for (int i = 0; i < 5; ++i) REQUIRE(wal->Append(Rec(i)).ok());
  int seen = 0;
  absl::Status s = wal->Replay({}, [&](std::string_view, Position) {
    return ++seen == 2 ? absl::AbortedError("stop") : absl::OkStatus();
  });
  CHECK(absl::IsAborted(s));
  CHECK(seen == 2);
}

TEST_CASE("oversized records are rejected", "[wal]") {
  TempDir dir;
  auto wal = MustOpen(dir.path());
  std::string_view huge(nullptr, kMaxRecordSize + 1);  // never read
  CHECK(absl::IsInvalidArgument(wal->Append(huge).status()));
  CHECK(wal->Append("still fine").ok());
}

}  // namespace
}  // namespace strata::wal
