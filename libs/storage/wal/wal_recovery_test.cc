// Crash recovery: torn tails, corruption, simulated power loss, failing disks.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/storage/wal/env.h"
#include "libs/storage/wal/fault_injection_env.h"
#include "libs/storage/wal/record_format.h"
#include "libs/storage/wal/wal.h"
#include "libs/storage/wal/wal_test_util.h"

namespace strata::wal {
namespace {

using testing::Replayed;
using testing::ReplayAll;
using testing::SegmentPathIn;
using testing::TempDir;

std::unique_ptr<Wal> MustOpen(const std::string& dir, Options opts = {}) {
  auto w = Wal::Open(dir, opts);
  REQUIRE(w.ok());
  return std::move(w).value();
}

// Overwrites the byte at `offset` of `path` with its bitwise complement.
void FlipByte(const std::string& path, uint64_t offset) {
  FILE* f = std::fopen(path.c_str(), "r+b");
  REQUIRE(f != nullptr);
  std::fseek(f, static_cast<long>(offset), SEEK_SET);
  int c = std::fgetc(f);
  std::fseek(f, static_cast<long>(offset), SEEK_SET);
  std::fputc(~c & 0xff, f);
  std::fclose(f);
}

void AppendBytes(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "ab");
  REQUIRE(f != nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

TEST_CASE("torn tail: every cut point of the last record is truncated", "[wal][recovery]") {
  // Three records; the last one is cut at every possible length.
  const std::string last(40, 'L');
  const uint64_t last_start = kSegmentHeaderSize + 2 * (kRecordHeaderSize + 5);
  const uint64_t full = last_start + kRecordHeaderSize + last.size();
  for (uint64_t cut = last_start + 1; cut < full; ++cut) {
    INFO("cut at " << cut);
    TempDir dir;
    {
      auto wal = MustOpen(dir.path());
      REQUIRE(wal->Append("first").ok());
      REQUIRE(wal->Append("secnd").ok());
      REQUIRE(wal->Append(last).value() == Position{1, last_start});
    }
    const std::string seg1 = SegmentPathIn(dir.path(), 1);
    REQUIRE(Env::Default()->FileSize(seg1).value() == full);
    REQUIRE(Env::Default()->Truncate(seg1, cut).ok());

    auto wal = MustOpen(dir.path());
    CHECK(wal->stats().torn_tails_truncated == 1);
    CHECK(wal->stats().torn_bytes_dropped == cut - last_start);
    CHECK(Env::Default()->FileSize(seg1).value() == last_start);
    Replayed got;
    REQUIRE(ReplayAll(*wal, &got).ok());
    CHECK(got.records == std::vector<std::string>{"first", "secnd"});
    // The WAL keeps working and the next open is clean.
    REQUIRE(wal->Append("after").ok());
    wal.reset();
    auto again = MustOpen(dir.path());
    CHECK(again->stats().torn_tails_truncated == 0);
    Replayed all;
    REQUIRE(ReplayAll(*again, &all).ok());
    CHECK(all.records == std::vector<std::string>{"first", "secnd", "after"});
  }
}

TEST_CASE("torn tail: a cut inside the segment header empties the segment",
          "[wal][recovery]") {
  for (uint64_t cut = 0; cut < kSegmentHeaderSize; ++cut) {
    INFO("cut at " << cut);
    TempDir dir;
    { auto wal = MustOpen(dir.path()); REQUIRE(wal->Append("x").ok()); }
    REQUIRE(Env::Default()->Truncate(SegmentPathIn(dir.path(), 1), cut).ok());
    auto wal = MustOpen(dir.path());
    Replayed got;
    REQUIRE(ReplayAll(*wal, &got).ok());
    CHECK(got.records.empty());
    // The damaged segment is rewritten in place.
    CHECK(wal->EndPosition() == Position{1, kSegmentHeaderSize});
    REQUIRE(wal->Append("y").ok());
    Replayed after;
    REQUIRE(ReplayAll(*wal, &after).ok());
    CHECK(after.records == std::vector<std::string>{"y"});
  }
}

TEST_CASE("bad checksum at the tail is truncated", "[wal][recovery]") {
  TempDir dir;
  Position last;
  {
    auto wal = MustOpen(dir.path());
    REQUIRE(wal->Append("keep me").ok());
    last = wal->Append("flip me").value();
  }
  const std::string seg1 = SegmentPathIn(dir.path(), 1);
  SECTION("payload byte") { FlipByte(seg1, last.offset + kRecordHeaderSize + 2); }
  SECTION("checksum byte") { FlipByte(seg1, last.offset + 6); }
  SECTION("length byte") { FlipByte(seg1, last.offset); }
  SECTION("type byte") { FlipByte(seg1, last.offset + 4); }
  auto wal = MustOpen(dir.path());
  CHECK(wal->stats().torn_tails_truncated == 1);
  CHECK(Env::Default()->FileSize(seg1).value() == last.offset);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"keep me"});
}

// Writes segment 1 holding the record "data" (no preallocation), then appends
// `tail` to the file; returns the segment's size before the tail.
uint64_t OneRecordThenTail(const std::string& dir, const std::string& tail) {
  Options opts;
  opts.preallocate_bytes = 0;
  { auto wal = MustOpen(dir, opts); REQUIRE(wal->Append("data").ok()); }
  const std::string seg1 = SegmentPathIn(dir, 1);
  const uint64_t good = Env::Default()->FileSize(seg1).value();
  AppendBytes(seg1, tail);
  return good;
}

// Zeros to the end of the last segment are what preallocation leaves after a crash
// (Options::preallocate_bytes): a clean end, cut without counting damage.
TEST_CASE("zeros after the last record are preallocation: truncated, not damage", "[wal][recovery]") {
  TempDir dir;
  const uint64_t good = OneRecordThenTail(dir.path(), std::string(4096, '\0'));
  const std::string seg1 = SegmentPathIn(dir.path(), 1);
  auto wal = MustOpen(dir.path());
  CHECK(wal->stats().torn_tails_truncated == 0);
  CHECK(wal->stats().torn_bytes_dropped == 0);
  CHECK(Env::Default()->FileSize(seg1).value() == good);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"data"});
}

TEST_CASE("zeros followed by anything else are damage, not preallocation", "[wal][recovery]") {
  TempDir dir;
  const uint64_t good = OneRecordThenTail(dir.path(), std::string(100, '\0') + "X");
  const std::string seg1 = SegmentPathIn(dir.path(), 1);
  auto wal = MustOpen(dir.path());
  CHECK(wal->stats().torn_tails_truncated == 1);
  CHECK(wal->stats().torn_bytes_dropped == 101);
  CHECK(Env::Default()->FileSize(seg1).value() == good);
}

// Options::preallocate_bytes: the active segment has zeros written (and synced)
// ahead of its records, so a group commit's fdatasync overwrites blocks the file
// already has. A crash leaves the zeros behind; they are not damage.
TEST_CASE("preallocated zeros: ahead of the records, cut at close, roll and after a crash",
          "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.segment_size = 64 << 10;
  opts.preallocate_bytes = 16 << 10;
  const std::string seg1 = SegmentPathIn(dir.path(), 1), seg2 = SegmentPathIn(dir.path(), 2);
  std::vector<std::string> acked;
  uint64_t end1 = 0, end2 = 0;  // each segment's end of records
  {
    auto wal = MustOpen(dir.path(), opts);
    for (int i = 0;; ++i) {  // fill segment 1 until a record rolls to segment 2
      std::string r = "record-" + std::to_string(i) + std::string(900, 'p');
      Position p = wal->Append(r).value();
      acked.push_back(r);
      if (p.segment != 1) break;
      end1 = p.offset + kRecordHeaderSize + r.size();
      const uint64_t size = Env::Default()->FileSize(seg1).value();
      INFO("record " << i);
      CHECK(size >= end1);
      CHECK(size <= opts.segment_size);  // never past the limit
      if (end1 + 1024 < opts.segment_size) CHECK(size > end1);  // zeros ahead
    }
    // The rolled segment ends at its last record.
    CHECK(Env::Default()->FileSize(seg1).value() == end1);
    Position p = wal->Append("last").value();
    acked.push_back("last");
    end2 = p.offset + kRecordHeaderSize + 4;
    CHECK(Env::Default()->FileSize(seg2).value() > end2);
    env.SetActive(false);  // power goes out; Close() cannot cut the zeros
    wal.reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());  // all synced: nothing lost, zeros stay
  env.SetActive(true);
  REQUIRE(Env::Default()->FileSize(seg2).value() > end2);
  {
    auto wal = MustOpen(dir.path(), opts);
    CHECK(wal->stats().torn_tails_truncated == 0);
    CHECK(Env::Default()->FileSize(seg2).value() == end2);
    Replayed got;
    REQUIRE(ReplayAll(*wal, &got).ok());
    CHECK(got.records == acked);
    REQUIRE(wal->Append("clean").ok());
  }
  // A clean close leaves no zeros behind either.
  CHECK(Env::Default()->FileSize(SegmentPathIn(dir.path(), 3)).value() ==
        kSegmentHeaderSize + kRecordHeaderSize + 5);
}

TEST_CASE("preallocated zeros: unsynced records written into them are lost as zeros, cleanly",
          "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.fsync_policy = FsyncPolicy::kInterval;
  opts.fsync_interval = std::chrono::hours(1);  // only the explicit Sync() below
  {
    auto wal = MustOpen(dir.path(), opts);
    REQUIRE(wal->Append("synced").ok());
    REQUIRE(wal->Sync().ok());
    REQUIRE(wal->Append("written, never synced").ok());
    env.SetActive(false);
    wal.reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  auto wal = MustOpen(dir.path(), opts);
  CHECK(wal->stats().torn_tails_truncated == 0);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"synced"});
}

TEST_CASE("corruption in an older segment: DataLoss, rest of that segment skipped, "
          "later segments replayed",
          "[wal][recovery]") {
  TempDir dir;
  std::vector<Position> pos;
  {
    auto wal = MustOpen(dir.path());
    for (int i = 0; i < 3; ++i) pos.push_back(wal->Append("seg1-" + std::to_string(i)).value());
    REQUIRE(wal->Rotate().ok());
    for (int i = 0; i < 2; ++i) pos.push_back(wal->Append("seg2-" + std::to_string(i)).value());
  }
  FlipByte(SegmentPathIn(dir.path(), 1), pos[1].offset + kRecordHeaderSize);
  auto wal = MustOpen(dir.path());
  CHECK(wal->stats().torn_tails_truncated == 0);  // not the last segment: not touched
  Replayed got;
  absl::Status s = ReplayAll(*wal, &got);
  CHECK(absl::IsDataLoss(s));
  CHECK(std::string(s.message()).find("00000001.wal") != std::string::npos);
  CHECK(got.records == std::vector<std::string>{"seg1-0", "seg2-0", "seg2-1"});
  CHECK(wal->stats().corruptions == 1);
}

TEST_CASE("a segment missing from the middle of the log is DataLoss", "[wal][recovery]") {
  TempDir dir;
  {
    auto wal = MustOpen(dir.path());
    REQUIRE(wal->Append("one").ok());
    REQUIRE(wal->Rotate().ok());
    REQUIRE(wal->Append("two").ok());
    REQUIRE(wal->Rotate().ok());
    REQUIRE(wal->Append("three").ok());
  }
  REQUIRE(Env::Default()->DeleteFile(SegmentPathIn(dir.path(), 2)).ok());
  auto wal = MustOpen(dir.path());
  Replayed got;
  absl::Status s = ReplayAll(*wal, &got);
  CHECK(absl::IsDataLoss(s));
  CHECK(std::string(s.message()).find("missing segments 2 to 2") != std::string::npos);
  CHECK(got.records == std::vector<std::string>{"one", "three"});
}

TEST_CASE("crash under fsync=always loses no acknowledged record", "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.segment_size = 2048;  // crosses segment creation too
  std::vector<std::string> acked;
  {
    auto wal = MustOpen(dir.path(), opts);
    for (int i = 0; i < 60; ++i) {
      std::string r = "acked-" + std::to_string(i) + std::string(50, 'p');
      REQUIRE(wal->Append(r).ok());
      acked.push_back(r);
    }
    env.SetActive(false);  // power goes out: nothing after this reaches the disk
    CHECK_FALSE(wal->Append("never acknowledged").ok());
    wal.reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  auto wal = MustOpen(dir.path(), opts);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == acked);
}

TEST_CASE("crash under fsync=never loses unsynced records (the fault env bites)",
          "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.fsync_policy = FsyncPolicy::kNever;
  {
    auto wal = MustOpen(dir.path(), opts);
    for (int i = 0; i < 10; ++i) REQUIRE(wal->Append("r" + std::to_string(i)).ok());
    env.SetActive(false);
    wal.reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  auto wal = MustOpen(dir.path(), opts);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records.empty());
}

TEST_CASE("crash under fsync=interval keeps what the background sync covered",
          "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.fsync_policy = FsyncPolicy::kInterval;
  opts.fsync_interval = std::chrono::milliseconds(5);
  {
    auto wal = MustOpen(dir.path(), opts);
    const uint64_t fsyncs_at_open = wal->stats().fsyncs;
    REQUIRE(wal->Append("synced by the interval").ok());
    // Wait (bounded) for the background fsync to cover it.
    for (int i = 0; i < 400 && wal->stats().fsyncs == fsyncs_at_open; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(wal->stats().fsyncs > fsyncs_at_open);
    env.SetActive(false);
    wal.reset();
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  auto wal = MustOpen(dir.path(), opts);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"synced by the interval"});
}

TEST_CASE("fsync=interval acknowledges before any fsync", "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  opts.fsync_policy = FsyncPolicy::kInterval;
  opts.fsync_interval = std::chrono::hours(1);
  {
    auto wal = MustOpen(dir.path(), opts);
    const uint64_t syncs = env.sync_count();
    REQUIRE(wal->Append("in the page cache only").ok());
    CHECK(env.sync_count() == syncs);
    // A process crash (kill -9) keeps it: the kernel has the bytes.
    Replayed live;
    REQUIRE(ReplayAll(*wal, &live).ok());
    CHECK(live.records.size() == 1);
    // An explicit Sync() makes it durable.
    REQUIRE(wal->Sync().ok());
    CHECK(env.sync_count() == syncs + 1);
    REQUIRE(wal->Append("lost on power loss").ok());
    env.SetActive(false);
    wal.reset();  // Close must not wait for the hour-long interval
  }
  REQUIRE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  auto wal = MustOpen(dir.path(), opts);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"in the page cache only"});
}

TEST_CASE("a failing fsync fails the append and every later one", "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  auto wal = MustOpen(dir.path(), opts);
  REQUIRE(wal->Append("good").ok());
  env.SetSyncError(absl::InternalError("EIO on fdatasync"));
  auto bad = wal->Append("bad");
  CHECK(absl::IsInternal(bad.status()));
  env.SetSyncError(absl::OkStatus());  // the disk "recovers": the WAL must not
  auto later = wal->Append("later");
  CHECK(absl::IsInternal(later.status()));
  CHECK(std::string(later.status().message()).find("EIO on fdatasync") != std::string::npos);
  CHECK(wal->stats().records_appended == 1);
  CHECK_FALSE(wal->Rotate().ok());
  CHECK_FALSE(wal->Sync().ok());
}

TEST_CASE("a failing partial write leaves a torn tail that the next open truncates",
          "[wal][recovery]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  Options opts;
  opts.env = &env;
  {
    auto wal = MustOpen(dir.path(), opts);
    REQUIRE(wal->Append("good").ok());
    env.SetWriteError(absl::ResourceExhaustedError("ENOSPC"), /*partial=*/true);
    CHECK(absl::IsResourceExhausted(wal->Append(std::string(100, 'z')).status()));
    env.SetWriteError(absl::OkStatus());
    CHECK_FALSE(wal->Append("refused").ok());
  }
  auto wal = MustOpen(dir.path(), opts);
  CHECK(wal->stats().torn_tails_truncated == 1);
  Replayed got;
  REQUIRE(ReplayAll(*wal, &got).ok());
  CHECK(got.records == std::vector<std::string>{"good"});
}

}  // namespace
}  // namespace strata::wal
