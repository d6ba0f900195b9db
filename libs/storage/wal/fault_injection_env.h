// FaultInjectionEnv: an Env for tests that wraps a real one and can simulate a
// crash (power loss) and failing disks. Modelled on LevelDB's fault_injection_test.
//
//   FaultInjectionEnv env(Env::Default());
//   opts.env = &env;
//   auto wal = Wal::Open(dir, opts);           ... appends ...
//   env.SetActive(false);                      // the machine "dies": nothing more
//   wal->reset();                              //   reaches the disk
//   ASSERT_OK(env.DropUnsyncedData());         // lose what was not fsynced
//   env.SetActive(true);                       // "reboot" and reopen
//
//   env.SetSyncError(absl::InternalError("EIO"));   // every Sync() now fails
//
// Tracks every file created through it: its length, the length at its last
// Sync(), and whether its directory was synced since it was created. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "libs/storage/wal/env.h"

namespace strata {

class FaultInjectionEnv final : public Env {
 public:
  // `base` is not owned and must outlive this.
  explicit FaultInjectionEnv(Env* base);

  // While inactive (a simulated crash in progress) every mutating call (file
  // Append/Sync, NewWritableFile, DeleteFile, Truncate, SyncDir) fails with
  // Unavailable and changes nothing on disk; Close() only releases the handle.
  void SetActive(bool active);

  // "Power loss": truncates every tracked file to its length at its last Sync()
  // (appends since then that overwrote synced zeros read as zeros again) and
  // deletes tracked files created since their directory was last synced.
  // Tracked state then matches the disk (everything counts as synced).
  absl::Status DropUnsyncedData();

  // From now on WritableFile::Append fails with `status` (OK clears). With
  // `partial`, the first half of the data is written before failing, leaving a
  // torn record.
  void SetWriteError(absl::Status status, bool partial = false);
  // From now on WritableFile::Sync fails with `status` (OK clears).
  void SetSyncError(absl::Status status);

  // Number of successful WritableFile::Sync() calls so far.
  uint64_t sync_count() const;
  // Number of successful WritableFile::Append() calls so far.
  uint64_t append_count() const;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;

 private:
  class File;
  friend class File;

  struct FileState {
    uint64_t size = 0;            // length, including zeros written past the appends
    uint64_t synced_size = 0;
    uint64_t written = 0;         // where the next Append writes
    uint64_t synced_written = 0;
    bool dir_synced = false;  // false while a crash would lose the file itself
  };

  absl::Status FileAppend(const std::string& path, WritableFile* base, std::string_view data);
  absl::Status FileSync(const std::string& path, WritableFile* base);
  absl::Status FileWriteZeros(const std::string& path, WritableFile* base, uint64_t offset, uint64_t length);

  Env* const base_;
  // std::mutex so ThreadSanitizer sees it (Debian's Abseil is not instrumented).
  mutable std::mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = true;
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
  bool partial_write_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t appends_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
