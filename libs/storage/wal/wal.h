// Wal: the storage node's write-ahead log. A Write RPC is acknowledged only once
// its samples are in the WAL (per the fsync policy); after a crash the engine
// replays the WAL to rebuild what it had not yet persisted elsewhere.
//
// Records are opaque bytes (the engine serializes its own series/sample batches).
// They go into numbered segment files (dir/00000001.wal, ...) rolled at a size
// limit; the byte format is docs/format/wal.md.
//
//   wal::Options opts;                                  // fsync always, 64 MiB segments
//   STRATA_ASSIGN_OR_RETURN(auto log, wal::Wal::Open(data_dir + "/wal", opts));
//   // Startup: replay what the last checkpoint did not cover.
//   STRATA_RETURN_IF_ERROR(log->Replay(checkpoint, [&](std::string_view rec,
//                                                      wal::Position pos) {
//     return engine.ApplyRecord(rec);                   // non-OK stops the replay
//   }));
//   // Serving: from many threads at once; returns once durable per policy.
//   STRATA_ASSIGN_OR_RETURN(wal::Position pos, log->Append(serialized_batch));
//   // After the engine persisted everything appended before `cut`:
//   STRATA_ASSIGN_OR_RETURN(wal::Position cut, log->Rotate());  // before persisting
//   ... persist ...
//   STRATA_RETURN_IF_ERROR(log->TruncateBefore(cut));   // deletes older segments
//
// Concurrency: every public member is thread-safe. Appends from many threads are
// group-committed: the first waiting appender becomes the leader, writes the whole
// queue with one write(2) and (policy `always`) one fsync, then wakes the others.
//
// Failure: if a write or fsync fails, every appender waiting on it gets the error
// and the Wal refuses all later appends with the same error (it never acknowledges
// data it may have lost); the process should restart, replay and carry on.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {
class Env;
}

namespace strata::wal {

// When an appended record counts as stored.
enum class FsyncPolicy {
  // Acknowledge after write(2) + fdatasync: survives power loss. Group commit
  // amortizes the fsync over every record queued while the previous one ran.
  kAlways,
  // Acknowledge after write(2); a background thread fsyncs every
  // Options::fsync_interval. Survives kill -9 of the process (the kernel has the
  // bytes), but a power loss / kernel crash may lose the last interval.
  kInterval,
  // Acknowledge after write(2); fsync only at Close(). Survives kill -9, not
  // power loss. For tests and benchmarks.
  kNever,
};

// Parses the `--wal-fsync` flag value: "always", "interval" or "never".
absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text);
// "always", "interval" or "never".
std::string_view FsyncPolicyName(FsyncPolicy policy);

// Where a record starts: segment number and byte offset in that segment file.
// Totally ordered in append order, so the engine can use it as a checkpoint.
struct Position {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const Position&, const Position&) = default;
  friend auto operator<=>(const Position&, const Position&) = default;
};
// "segment:offset", for logs.
std::string PositionToString(Position pos);

struct Options {
  FsyncPolicy fsync_policy = FsyncPolicy::kAlways;
  // Period of the background fsync under FsyncPolicy::kInterval.
  std::chrono::milliseconds fsync_interval{100};
  // A segment is rolled before a batch would take it past this many bytes. A
  // record larger than this gets a segment of its own.
  uint64_t segment_size = 64ull << 20;
  // Upper bound on the bytes one group commit writes (at least one record).
  uint64_t max_batch_bytes = 4ull << 20;
  // Zeros written ahead of the appends, this many bytes at a time (0: none), so
  // that an fdatasync after an append overwrites blocks the file already has and
  // need not also write the inode's new size: one disk write per group commit
  // instead of two. Not done under FsyncPolicy::kNever.
  uint64_t preallocate_bytes = 1ull << 20;
  // Files go through this Env; nullptr means Env::Default(). Not owned; must
  // outlive the Wal.
  Env* env = nullptr;
};

// Counters since Open(), for the engine to export as metrics.
struct Stats {
  uint64_t records_appended = 0;     // acknowledged Append() calls
  uint64_t payload_bytes = 0;        // their record bytes
  uint64_t bytes_written = 0;        // bytes handed to write(2), incl. framing/headers
  uint64_t batches = 0;              // group commits (write(2) calls for records)
  uint64_t fsyncs = 0;               // file fsyncs (not counting directory syncs)
  uint64_t segments_created = 0;
  uint64_t segments_deleted = 0;     // by TruncateBefore()
  uint64_t torn_tails_truncated = 0; // Open() found and cut a torn/corrupt tail
  uint64_t torn_bytes_dropped = 0;   // bytes cut by those truncations
  uint64_t corruptions = 0;          // corrupt segments met by Replay()
};

class Wal {
 public:
  // Called by Replay() for each record in order. A non-OK status stops the replay
  // and Replay() returns it.
  using ReplayCallback = std::function<absl::Status(std::string_view record, Position pos)>;

  // Opens (creating if needed) the WAL in directory `dir` and recovers it: a torn
  // or corrupt tail of the LAST segment (a partial record, a bad checksum, garbage)
  // is truncated at the first bad record and logged (warn: file, offset, bytes
  // dropped) — never an error. Appends then go to a new segment (or to the last one
  // if it holds no record). Errors: the directory cannot be created or listed, a
  // file cannot be read/truncated/created.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const std::string& dir, Options options);

  // Closes (see Close()).
  ~Wal();

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends `record` (any bytes, any size up to 1 GiB) and blocks until it is
  // stored per the fsync policy. Returns where it starts. Errors: the IO error
  // that hit this record's write/fsync, or that hit an earlier one (the Wal is
  // then failed for good), FailedPrecondition after Close(), InvalidArgument when
  // the record is too large.
  absl::StatusOr<Position> Append(std::string_view record);

  // Delivers, in order, every record at or after `from` that was appended (or
  // recovered by Open()) before this call started; Position{} means everything.
  // Safe while appends go on (they are not delivered). A corrupt record in the
  // middle of the log (which Open() did not repair: not in the last segment at
  // Open) is logged (error: file, offset), the rest of THAT segment is skipped,
  // replay continues with the next segment, and at the end Replay() returns
  // DataLoss naming each corrupt segment and offset. Recommended for the engine:
  // log it, count it, keep serving (replicas heal via `stratactl repair`) rather
  // than refusing to start. Other errors: IO errors, the callback's own error.
  absl::Status Replay(Position from, const ReplayCallback& callback);

  // Closes the current segment (fsynced unless policy is kNever) and starts a new
  // one. Returns the position of the first record the new segment will hold:
  // everything appended before Rotate() returned is before it.
  absl::StatusOr<Position> Rotate();

  // Deletes every whole segment before `pos.segment` (never the one being
  // written). Call once everything appended before `pos` is persisted elsewhere.
  absl::Status TruncateBefore(Position pos);

  // Forces an fsync of everything written so far (useful under kInterval/kNever
  // before a planned shutdown or snapshot).
  absl::Status Sync();

  // Waits for queued appends, fsyncs (unless kNever), closes the file and stops
  // the background syncer. Later Append/Rotate/Sync fail with FailedPrecondition;
  // Replay and TruncateBefore still work. Idempotent; returns the first error.
  absl::Status Close();

  // The position the next appended record would get (if no roll happens first).
  Position EndPosition() const;

  Stats stats() const;

  const std::string& dir() const { return dir_; }

 private:
  class Impl;
  Wal(std::string dir, std::unique_ptr<Impl> impl);

  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::wal
