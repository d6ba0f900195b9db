#include "libs/storage/db.h"

#include "absl/strings/str_cat.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace strata::storage {

absl::Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

namespace {

constexpr size_t kIndexWriteBufferBytes = size_t{16} << 20;

// A posting key without its trailing 8-byte series id: the (day, tenant, name,
// value) its list is kept under (docs/format/index.md). RocksDB remembers, per such
// prefix, where in the memtable it last inserted, and starts the next insert of that
// list from there. A write's postings are sorted, so those of one label pair follow
// each other, and land close to one another within that pair's run of keys.
class PostingListPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "strata.PostingListPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 8; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.compression = rocksdb::kLZ4Compression;
  options.bottommost_compression = rocksdb::kZSTD;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 3;
  options.IncreaseParallelism(2);

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);

  rocksdb::ColumnFamilyOptions cf_opts(options);
  cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Blocks are already zstd-compressed by libs/encoding.
  rocksdb::ColumnFamilyOptions block_opts = cf_opts;
  block_opts.compression = rocksdb::kNoCompression;
  block_opts.bottommost_compression = rocksdb::kNoCompression;

  // The index: a new series puts a record and a posting per label, each a random
  // insert into a memtable skiplist, whose cost grows with its size (cache misses per
  // level). 16 MiB memtables instead of 64 made a write of new series ~25 % cheaper,
  // flushes and compactions included (docs/benchmarks.md, EngineWriteNewSeries).
  rocksdb::ColumnFamilyOptions index_opts = cf_opts;
  index_opts.write_buffer_size = kIndexWriteBufferBytes;
  // Each new series' id is looked up in "series" first (the collision check): a
  // whole-key bloom filter answers most of those misses without a memtable search.
  rocksdb::ColumnFamilyOptions series_opts = index_opts;
  series_opts.memtable_whole_key_filtering = true;
  series_opts.memtable_prefix_bloom_size_ratio = 0.02;

  rocksdb::ColumnFamilyOptions postings_opts = index_opts;
  postings_opts.memtable_insert_with_hint_prefix_extractor = std::make_shared<PostingListPrefix>();

  std::vector<rocksdb::ColumnFamilyDescriptor> descs = {
      {rocksdb::kDefaultColumnFamilyName, cf_opts}, {"series", series_opts}, {"postings", postings_opts},
      {"values", index_opts}, {"blocks", block_opts}, {"meta", cf_opts}};
  auto out = std::unique_ptr<Db>(new Db());
  rocksdb::Status s = rocksdb::DB::Open(options, dir, descs, &out->cfs_, &out->db_);
  if (!s.ok()) return FromRocks(s, "open index");
  return out;
}

Db::~Db() {
  if (db_ == nullptr) return;
  for (auto* cf : cfs_) db_->DestroyColumnFamilyHandle(cf);
  db_->Close();
  delete db_;
}

absl::Status Db::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // When RocksDB applies several writers' batches to the memtables at once, each
  // batch starts its next insert where its last one went (the prefix hints above
  // apply only to one writer at a time). Index batches are sorted per column family.
  wo.memtable_insert_hint_per_batch = true;
  return FromRocks(db_->Write(wo, batch), "index write");
}

absl::Status Db::FlushBlocks() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, blocks()), "blocks flush");
}

absl::Status Db::FlushAll() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, cfs_), "index flush");
}

}  // namespace strata::storage
