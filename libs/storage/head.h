// Head: the in-memory part of a storage node — samples acknowledged (in the WAL)
// but not yet persisted as blocks. Searchable at once.
//
// Sharded by series id; each shard has its own mutex, so appends to different
// series rarely contend. Samples may arrive in any order; readers get them sorted
// with one sample per timestamp.
//
//   head.Append(tenant, sid, labels, samples);
//   head.Read(tenant, sid, mint, maxt, &out);      // appends matching samples
//   head.ReadPacked(key, mint, maxt, run_fn, &rest); // packed runs as they are kept
//   auto drained = head.Drain();                   // everything, for persisting
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/base/thread_annotations.h"
#include "libs/encoding/packed_samples.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"

namespace strata::storage {

struct HeadKey {
  uint64_t tenant = 0;
  uint64_t sid = 0;
  friend bool operator==(const HeadKey&, const HeadKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const HeadKey& k) {
    return H::combine(std::move(h), k.tenant, k.sid);
  }
};

// One series' samples taken out of the head.
struct DrainedSeries {
  HeadKey key;
  Labels labels;
  std::vector<Sample> samples;  // sorted, one per timestamp
};

class Head {
 public:
  Head() = default;

  // Adds samples (any order) to the series. `labels` is copied only the first
  // time the series is seen. Returns the number of samples added.
  size_t Append(HeadKey key, const Labels& labels, std::span<const Sample> samples);
  // Adds samples to a series the head already has; false (nothing added) if it has not.
  bool AppendIfPresent(HeadKey key, std::span<const Sample> samples);
  // AppendIfPresent for a batch: (*present)[i] says whether samples[i] went to
  // keys[i]. Takes each shard's lock once and looks the shard's series up together,
  // so their cache misses overlap (one at a time they were a seventh of a storage
  // node's CPU under ingest).
  void AppendIfPresent(std::span<const HeadKey> keys, std::span<const std::span<const Sample>> samples,
                       std::vector<uint8_t>* present);

  // Appends the series' samples with mint <= t <= maxt to *out (unsorted).
  void Read(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // One run of a series' samples in the packed form (libs/encoding/packed_samples.h):
  // timestamps strictly ascending, `count` samples from min_t to max_t.
  struct PackedRun {
    std::string_view bytes;
    uint32_t count;
    int64_t min_t, max_t;
  };
  // Read for a query that sends packed samples: calls run(const PackedRun&) for each
  // packed run of the series that lies wholly in [mint, maxt] (the view is valid
  // only during the call), and appends the series' other samples in [mint, maxt] to
  // *rest (unsorted). Runs may overlap each other and *rest in time; a timestamp may
  // appear in more than one (readers collapse, libs/model/dedup.h).
  template <typename RunFn>
  void ReadPacked(HeadKey key, int64_t mint, int64_t maxt, RunFn run, std::vector<Sample>* rest) const {
    const Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.series.find(key);
    if (it == shard.series.end()) return;
    it->second->samples.ReadPacked(mint, maxt, run, rest);
  }
  // A hint that these series are about to be Read: starts fetching their table
  // slots, series records, run lists and first runs into the cache, each step
  // for all keys together so that their cache misses overlap (one series at a
  // time, the misses were most of a head read's time). Changes nothing.
  void Prefetch(std::span<const HeadKey> keys) const;

  // Takes every sample out of the head (series with no samples are forgotten).
  std::vector<DrainedSeries> Drain();

  // Forgets a series and its samples.
  void Remove(HeadKey key);

  // Every series currently in the head (for export).
  std::vector<std::pair<HeadKey, Labels>> List() const;

  size_t NumSeries() const;
  size_t NumSamples() const;

 private:
  // A series' samples. Those that arrive in time order (nearly all: a scraper sends
  // each series' samples in order) are packed as they come (PackedSampleAppender),
  // in runs of up to kMaxRun samples, ~2-4 bytes a scraped counter instead of 16; a
  // query copies a run's bytes instead of packing the samples again on every
  // search. A sample at or before its series' last timestamp (out of order, or the
  // same timestamp again, as in a backfill) goes to `unordered_` as it is; every
  // kFoldUnordered of those are sorted, collapsed and packed into a run of their own.
  class SampleRuns {
   public:
    void Append(std::span<const Sample> samples);
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Appends the samples with mint <= t <= maxt to *out, runs first, unsorted.
    void AppendInRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
    // See Head::ReadPacked.
    template <typename RunFn>
    void ReadPacked(int64_t mint, int64_t maxt, RunFn run, std::vector<Sample>* rest) const {
      for (const Run& r : runs_) {
        if (r.packer.last_t() < mint || r.packer.first_t() > maxt) continue;
        if (r.packer.first_t() >= mint && r.packer.last_t() <= maxt) {
          run(PackedRun{r.bytes, r.packer.count(), r.packer.first_t(), r.packer.last_t()});
        } else {
          DecodeRun(r, mint, maxt, rest);
        }
      }
      for (const Sample& x : unordered_) {
        if (x.t >= mint && x.t <= maxt) rest->push_back(x);
      }
    }
    // The samples, runs first, then the unordered ones in arrival order.
    std::vector<Sample> ToVector() const;
    // Start fetching the run list; the first run's bytes (once the list is in cache).
    void PrefetchRunList() const { __builtin_prefetch(runs_.data()); }
    void PrefetchFirstRun() const {
      if (!runs_.empty()) __builtin_prefetch(runs_.front().bytes.data());
    }
    // For an append: the last run (once the run list is in cache), then the end of
    // its bytes (once the run is).
    void PrefetchTailRun() const {
      if (!runs_.empty()) __builtin_prefetch(&runs_.back());
    }
    void PrefetchTailBytes() const {
      if (!runs_.empty()) __builtin_prefetch(runs_.back().bytes.data() + runs_.back().bytes.size(), 1);
    }

   private:
    struct Run {
      std::string bytes;
      PackedSampleAppender packer;
    };
    // 256 scrapes of 15 s: a bit over an hour. A query whose range cuts a run
    // decodes the whole run, so runs are kept short enough for that to be cheap.
    static constexpr uint32_t kMaxRun = 256;
    static constexpr size_t kFoldUnordered = 64;
    void FoldUnordered();
    static void DecodeRun(const Run& r, int64_t mint, int64_t maxt, std::vector<Sample>* out);
    std::vector<Run> runs_;
    std::vector<Sample> unordered_;
    size_t size_ = 0;
  };
  struct Series {
    Labels labels;
    SampleRuns samples;
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<HeadKey, std::unique_ptr<Series>> series ABSL_GUARDED_BY(mu);
    size_t samples ABSL_GUARDED_BY(mu) = 0;
  };
  static constexpr size_t kShards = 64;
  Shard& ShardFor(HeadKey key) { return shards_[key.sid % kShards]; }
  const Shard& ShardFor(HeadKey key) const { return shards_[key.sid % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace strata::storage
