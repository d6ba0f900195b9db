// Index: the inverted index of a storage node, on RocksDB (key_format.h).
//
// Postings are kept per partition (UTC day) and tenant, so a query over today
// reads only today's postings. A series gets postings in every day it has samples.
//
//   Index index(db);
//   index.AddSeries(&batch, day, tenant, sid, labels);        // at ingest
//   STRATA_ASSIGN_OR_RETURN(auto sids, index.Select(day, tenant, matchers));
#pragma once

#include <cstdint>
#include <array>
#include <map>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/storage/db.h"
#include "rocksdb/write_batch.h"

namespace strata::storage {

class Index {
 public:
  static constexpr size_t kFilterInMemory = 4096;

  explicit Index(Db* db) : db_(db) {}

  // A series to add in partition `day`.
  struct NewSeries {
    uint32_t day;
    uint64_t tenant;
    uint64_t sid;
    const Labels* labels;
  };
  // Adds each series' record and its postings/values to `batch`. Idempotent. A (day,
  // label pair) values entry this Index already put is not put again (most series
  // share most pairs; every Put is a memtable insert). Each column family's keys go
  // into the batch in ascending order: the memtable then inserts most keys next to
  // the one before (the series of a batch share most label pairs), a fraction of a
  // random insert's cost.
  void AddSeries(rocksdb::WriteBatch* batch, std::span<const NewSeries> series);
  // Forgets which values entries were put: all (call when a batch from AddSeries
  // failed to commit), or those of partitions before `day` (dropped by retention).
  void ForgetPutPairs();
  void ForgetPutPairsBefore(uint32_t day);

  // Posting lists read from RocksDB are kept in memory (up to kMaxCachedPostings
  // ids in all; over that the cache starts again empty). The engine calls
  // PostingsChanged once a batch that added or removed the series' postings has
  // committed, and ForgetPostings after dropping partitions.
  void PostingsChanged(uint32_t day, uint64_t tenant, const Labels& labels);
  void ForgetPostings();

  // The labels stored for `sid`; NotFound when unknown.
  absl::StatusOr<Labels> SeriesLabels(uint64_t tenant, uint64_t sid) const;
  // The labels of many series through one iterator: (*out)[i] is the labels of
  // sids[i], or NotFound when unknown (deleted meanwhile). Faster than one
  // SeriesLabels call each; `sids` ascending is fastest. Other errors fail the call.
  // Labels found are kept in memory for the next call (see label_shards_).
  absl::Status SeriesLabelsBatch(uint64_t tenant, std::span<const uint64_t> sids,
                                 std::vector<absl::StatusOr<Labels>>* out) const;
  // The same as TimeSeries.labels entries (libs/rpc/write_wire.h), the form a
  // Search answer carries them in when the client asks: (*entries)[i] for sids[i]
  // when (*status)[i] is OK (NotFound: unknown; DataLoss: corrupt). No Labels
  // objects are built.
  absl::Status SeriesLabelEntriesBatch(uint64_t tenant, std::span<const uint64_t> sids,
                                       std::vector<std::string>* entries, std::vector<absl::Status>* status) const;

  // Sorted ids of the series of `tenant` in partition `day` that satisfy every
  // matcher (a missing label counts as ""). Empty `matchers` selects all. Once at
  // most kFilterInMemory candidates are left, the remaining matchers are checked
  // against the candidates' labels instead of their posting lists.
  // Answers are kept in memory until the next change to any posting list (a
  // dashboard repeats the same selectors every refresh).
  absl::StatusOr<std::vector<uint64_t>> Select(uint32_t day, uint64_t tenant, const Matchers& matchers) const;

  // Distinct label names / values of label `name` in partition `day`, from the
  // values column family (no series filter), appended to *out (unsorted, may repeat).
  absl::Status AllLabelNames(uint32_t day, uint64_t tenant, std::vector<std::string>* out) const;
  absl::Status AllLabelValues(uint32_t day, uint64_t tenant, std::string_view name,
                              std::vector<std::string>* out) const;

  // Removes the series' postings in partition `day`.
  void RemoveSeries(rocksdb::WriteBatch* batch, uint32_t day, uint64_t tenant, uint64_t sid, const Labels& labels);

  // Partitions (days) that hold postings, ascending. Kept in memory until the next
  // change to any posting list (PostingsChanged, ForgetPostings): every search asks.
  std::vector<uint32_t> Days() const;

 private:
  // Calls fn(i, stored label bytes) for each sid found (cache first, then one
  // forward iterator); values for which fn returns OK are cached.
  absl::Status VisitSeriesLabels(uint64_t tenant, std::span<const uint64_t> sids,
                                 const std::function<absl::Status(size_t, std::string_view)>& fn) const;
  absl::StatusOr<std::vector<uint64_t>> SelectUncached(uint32_t day, uint64_t tenant, const Matchers& matchers) const;

  // Sorted id lists by key, up to kMaxCachedPostings ids in all (past that it starts
  // again empty). Not thread-safe: the Index guards both of its own with postings_mu_.
  class IdListCache {
   public:
    const std::vector<uint64_t>* Find(const std::string& key) const;
    void Insert(std::string key, std::vector<uint64_t> ids);
    void Erase(const std::string& key);
    void Clear();

   private:
    absl::flat_hash_map<std::string, std::vector<uint64_t>> lists_;
    size_t ids_ = 0;
  };

  // Encoded labels of series read before, by (tenant, sid). A series id is the hash
  // of its labels, so an entry is never wrong, only possibly unneeded (deleted
  // series); each shard starts again empty past its share of kMaxCachedLabelBytes.
  static constexpr size_t kMaxCachedLabelBytes = 64 << 20;
  static constexpr size_t kLabelShards = 16;
  struct LabelShard {
    std::mutex mu;
    absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::string> labels;
    size_t bytes = 0;
  };
  mutable std::array<LabelShard, kLabelShards> label_shards_;

  static constexpr size_t kMaxCachedPostings = 8 << 20;  // ids (8 bytes each)
  mutable std::mutex postings_mu_;
  mutable IdListCache postings_;  // posting lists by PairPrefix
  mutable IdListCache selects_;   // Select answers by (day, tenant, matchers); emptied by any change
  // Bumped by every change: a list read from RocksDB is cached only if no change
  // happened while it was read (it could be missing the change).
  mutable uint64_t postings_gen_ = 0;
  mutable std::vector<uint32_t> days_;           // Days() as of postings_gen_ == days_gen_
  mutable uint64_t days_gen_ = UINT64_MAX;

  static constexpr size_t kRememberedDays = 3;
  std::mutex pairs_mu_;
  std::map<uint32_t, absl::flat_hash_set<std::string>> put_pairs_;  // day -> values keys put

  // Sorted ids with postings for (name, value).
  absl::Status PairPostings(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value,
                            std::vector<uint64_t>* out) const;
  // Sorted ids whose label `name` has a value accepted by `accept`.
  template <typename Pred>
  absl::Status NamePostings(uint32_t day, uint64_t tenant, std::string_view name, Pred accept,
                            std::vector<uint64_t>* out) const;

  Db* db_;
};

}  // namespace strata::storage
