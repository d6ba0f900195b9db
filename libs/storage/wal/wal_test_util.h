// Test helpers for libs/storage/wal tests: a temp dir removed at scope exit and
// a collector of replayed records.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "libs/storage/wal/wal.h"

namespace strata::wal::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata_wal_XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Replayed {
  std::vector<std::string> records;
  std::vector<Position> positions;
};

// Replays all of `wal` from `from`; returns Replay()'s status.
inline absl::Status ReplayAll(Wal& wal, Replayed* out, Position from = {}) {
  return wal.Replay(from, [out](std::string_view rec, Position pos) {
    out->records.emplace_back(rec);
    out->positions.push_back(pos);
    return absl::OkStatus();
  });
}

inline std::string SegmentPathIn(const std::string& dir, uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof(name), "%08llu.wal", static_cast<unsigned long long>(segment));
  return dir + "/" + name;
}

}  // namespace strata::wal::testing
