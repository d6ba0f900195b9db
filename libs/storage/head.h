// Head: the in-memory part of a storage node — samples acknowledged (in the WAL)
// but not yet persisted as blocks. Searchable at once.
//
// Sharded by series id; each shard has its own mutex, so appends to different
// series rarely contend. Samples may arrive in any order; readers get them sorted
// with one sample per timestamp.
//
//   head.Append(tenant, sid, labels, samples);
//   head.Read(tenant, sid, mint, maxt, &out);      // appends matching samples
//   auto drained = head.Drain();                   // everything, for persisting
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/base/thread_annotations.h"
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
  // A hint that these series are about to be Read: starts fetching their table
  // slots, series records, chunk lists and first chunks into the cache, each step
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
  // A series' samples in arrival order, in chunks of 4, 8, 16, then 32 samples
  // (a chunk holds more when one append brings more): appending never moves a
  // sample. A std::vector doubling its buffer copied every sample about twice and
  // faulted in fresh pages for it: two thirds of an append's cost in
  // BM_HeadAppendBatch (docs/benchmarks.md, "Storage engine").
  class SampleChunks {
   public:
    void Append(std::span<const Sample> samples);
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Calls fn(const Sample&) for every sample, in arrival order. Each chunk is a
    // cache miss of its own: the next ones are fetched while one is read (the
    // misses were most of a head read's time).
    template <typename Fn>
    void ForEach(Fn fn) const {
      constexpr size_t kAhead = 3;
      for (size_t i = 0; i < std::min(kAhead, chunks_.size()); ++i) __builtin_prefetch(chunks_[i].data.get());
      for (size_t i = 0; i < chunks_.size(); ++i) {
        if (i + kAhead < chunks_.size()) __builtin_prefetch(chunks_[i + kAhead].data.get());
        const uint32_t used = chunks_[i].capacity - (i + 1 == chunks_.size() ? tail_free_ : 0);
        for (uint32_t k = 0; k < used; ++k) fn(chunks_[i].data[k]);
      }
    }
    // The samples in arrival order.
    std::vector<Sample> ToVector() const;
    // Start fetching the chunk list; the first chunk (once the list is in cache).
    void PrefetchChunkList() const { __builtin_prefetch(chunks_.data()); }
    void PrefetchFirstChunk() const {
      if (!chunks_.empty()) __builtin_prefetch(chunks_.front().data.get());
    }

   private:
    struct Chunk {
      std::unique_ptr<Sample[]> data;
      uint32_t capacity = 0;
    };
    static constexpr uint32_t kFirstChunk = 4, kMaxChunk = 32;
    // Every chunk but the last is full. The last one's free slots are kept here, so
    // an append that fits touches only this object and the slots it writes.
    std::vector<Chunk> chunks_;
    Sample* tail_ = nullptr;  // the last chunk's first free slot
    uint32_t tail_free_ = 0;
    size_t size_ = 0;
  };
  struct Series {
    Labels labels;
    SampleChunks samples;
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
