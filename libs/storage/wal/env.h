// Env: the small file-system seam the WAL (and later the rest of storage) goes
// through, so tests can inject faults (LevelDB's Env is the model).
//
//   strata::Env* env = strata::Env::Default();          // POSIX, process-wide
//   STRATA_ASSIGN_OR_RETURN(auto f, env->NewWritableFile(dir + "/00000001.wal"));
//   STRATA_RETURN_IF_ERROR(f->Append(bytes));
//   STRATA_RETURN_IF_ERROR(f->Sync());                   // durable from here on
//   STRATA_RETURN_IF_ERROR(env->SyncDir(dir));           // its name too
//
// Tests use FaultInjectionEnv (fault_injection_env.h), which wraps another Env, can
// "crash" (drop everything not yet synced) and can fail writes and syncs.
//
// Errors: IO failures come back as absl::Status with the path and strerror in the
// message; ENOENT -> NotFound, ENOSPC/EDQUOT -> ResourceExhausted, others Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

// A file being written sequentially from its start. Not thread-safe: one owner.
// Writes are not buffered in user space: Append() hands the bytes to the OS, so
// they survive a process crash (kill -9) once Append() returns; they survive power
// loss only after Sync() returns OK.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at the end of the file. On error part of `data` may
  // have been written.
  virtual absl::Status Append(std::string_view data) = 0;
  // Writes `length` zero bytes at `offset` (normally past the end), without
  // moving where Append writes. Not durable until the next Sync().
  virtual absl::Status WriteZeros(uint64_t offset, uint64_t length) = 0;
  // Makes everything written so far durable (fdatasync).
  virtual absl::Status Sync() = 0;
  // Closes the file (without syncing). Further calls fail. The destructor closes
  // a file that was not closed and ignores the error.
  virtual absl::Status Close() = 0;
};

// A file read sequentially from its start. Not thread-safe: one owner.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch` (which must hold `n`) and returns how
  // many were read: fewer than `n` only at end of file, 0 exactly at end of file.
  virtual absl::StatusOr<size_t> Read(size_t n, char* scratch) = 0;
  // Skips `n` bytes forward (past the end is not an error; reads then return 0).
  virtual absl::Status Skip(uint64_t n) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  // Creates `path` (truncating an existing file) for writing.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens an existing `path` for reading. NotFound when absent.
  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  // The names (not paths) of the entries of `dir`, without "." and "..", in no
  // particular order.
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // Removes the file `path`. NotFound when absent.
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and syncs it, so the cut survives power loss.
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  // Creates `dir` and missing parents; OK when it already exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  // Makes the creation and deletion of entries of `dir` durable (fsync on the dir).
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

}  // namespace strata
