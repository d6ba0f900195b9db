#include "libs/storage/wal/fault_injection_env.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

absl::Status Inactive(const std::string& what) {
  return absl::UnavailableError(absl::StrCat("simulated crash: ", what, " not performed"));
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

// Routes a base file's calls through the env so it can fail them and track sizes.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Append(std::string_view data) override {
    return env_->FileAppend(path_, base_.get(), data);
  }
  absl::Status WriteZeros(uint64_t offset, uint64_t length) override {
    return env_->FileWriteZeros(path_, base_.get(), offset, length);
  }
  absl::Status Sync() override { return env_->FileSync(path_, base_.get()); }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

void FaultInjectionEnv::SetActive(bool active) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = active;
}

void FaultInjectionEnv::SetWriteError(absl::Status status, bool partial) {
  std::lock_guard<std::mutex> l(mu_);
  write_error_ = std::move(status);
  partial_write_ = partial;
}

void FaultInjectionEnv::SetSyncError(absl::Status status) {
  std::lock_guard<std::mutex> l(mu_);
  sync_error_ = std::move(status);
}

uint64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_;
}

uint64_t FaultInjectionEnv::append_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return appends_;
}

absl::Status FaultInjectionEnv::FileAppend(const std::string& path, WritableFile* base,
                                           std::string_view data) {
  // The lock is held across the base write so size tracking matches the disk.
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("append to ", path));
  FileState& st = files_[path];
  if (!write_error_.ok()) {
    if (partial_write_ && !data.empty()) {
      std::string_view half = data.substr(0, data.size() / 2);
      if (base->Append(half).ok()) {
        st.written += half.size();
        st.size = std::max(st.size, st.written);
      }
    }
    return write_error_;
  }
  absl::Status s = base->Append(data);
  if (s.ok()) {
    st.written += data.size();
    st.size = std::max(st.size, st.written);
    ++appends_;
  }
  return s;
}

absl::Status FaultInjectionEnv::FileWriteZeros(const std::string& path, WritableFile* base, uint64_t offset,
                                               uint64_t length) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("zeros to ", path));
  if (!write_error_.ok()) return write_error_;
  absl::Status s = base->WriteZeros(offset, length);
  if (s.ok()) {
    FileState& st = files_[path];
    st.size = std::max(st.size, offset + length);
  }
  return s;
}

absl::Status FaultInjectionEnv::FileSync(const std::string& path, WritableFile* base) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("sync of ", path));
  if (!sync_error_.ok()) return sync_error_;
  absl::Status s = base->Sync();
  if (s.ok()) {
    FileState& st = files_[path];
    st.synced_size = st.size;
    st.synced_written = st.written;
    ++syncs_;
  }
  return s;
}

absl::Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& st = it->second;
    if (!st.dir_synced) {
      absl::Status s = base_->DeleteFile(it->first);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
      it = files_.erase(it);
      continue;
    }
    if (st.size > st.synced_size || st.written > st.synced_written) {
      // Appends since the last sync are lost, also where they overwrote synced
      // zeros: those read as zeros again (ftruncate back out refills them).
      absl::Status s = base_->Truncate(it->first, std::min(st.synced_written, st.synced_size));
      if (s.ok() && st.synced_size > st.synced_written) s = base_->Truncate(it->first, st.synced_size);
      if (!s.ok()) return s;
      st.size = st.synced_size;
      st.written = st.synced_written;
    }
    ++it;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("create of ", path));
  // Re-creating an existing name does not add a directory entry.
  bool existed = base_->FileSize(path).ok();
  auto base = base_->NewWritableFile(path);
  if (!base.ok()) return base.status();
  FileState& st = files_[path];
  bool was_dir_synced = st.dir_synced || existed;
  st = FileState{};
  st.dir_synced = was_dir_synced;
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(base).value()));
}

absl::StatusOr<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(
    const std::string& path) {
  return base_->NewSequentialFile(path);
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  return base_->GetChildren(dir);
}

absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("delete of ", path));
  absl::Status s = base_->DeleteFile(path);
  if (s.ok()) files_.erase(path);
  return s;
}

absl::StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

absl::Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("truncate of ", path));
  absl::Status s = base_->Truncate(path, size);
  if (s.ok()) {
    auto it = files_.find(path);
    if (it != files_.end()) {
      FileState& st = it->second;
      st.size = st.synced_size = size;
      st.written = st.synced_written = std::min(st.written, size);
    }
  }
  return s;
}

absl::Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("mkdir of ", dir));
  return base_->CreateDir(dir);
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return Inactive(absl::StrCat("sync of dir ", dir));
  absl::Status s = base_->SyncDir(dir);
  if (!s.ok()) return s;
  for (auto& [path, st] : files_) {
    if (DirOf(path) == dir) st.dir_synced = true;
  }
  return s;
}

}  // namespace strata
