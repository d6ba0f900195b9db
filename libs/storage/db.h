// Db: the RocksDB instance of a storage node and its column families
// (layouts in key_format.h and docs/format/index.md).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace strata::storage {

class Db {
 public:
  // Opens or creates the database in `dir` with the column families series,
  // postings, values, blocks, meta.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& dir);
  ~Db();

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* series() const { return cfs_[1]; }
  rocksdb::ColumnFamilyHandle* postings() const { return cfs_[2]; }
  rocksdb::ColumnFamilyHandle* values() const { return cfs_[3]; }
  rocksdb::ColumnFamilyHandle* blocks() const { return cfs_[4]; }
  rocksdb::ColumnFamilyHandle* meta() const { return cfs_[5]; }

  // Writes `batch`; `sync` also fsyncs RocksDB's own log.
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync);
  // Flushes memtables to SST files (before our WAL is truncated).
  absl::Status FlushAll();
  // Writes the blocks column family's memtable to a table file (waits).
  absl::Status FlushBlocks();

 private:
  Db() = default;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
};

// Converts a rocksdb::Status into absl::Status, prefixing `what`.
absl::Status FromRocks(const rocksdb::Status& s, const char* what);

}  // namespace strata::storage
