#include "libs/storage/head.h"

#include <algorithm>
#include <bit>
#include <cassert>

#include "libs/model/dedup.h"

namespace strata::storage {

void Head::SampleRuns::Append(std::span<const Sample> samples) {
  size_ += samples.size();
  for (const Sample& x : samples) {
    if (!runs_.empty() && !runs_.back().packer.Accepts(x.t)) {
      unordered_.push_back(x);
      if (unordered_.size() >= kFoldUnordered) FoldUnordered();
      continue;
    }
    if (runs_.empty() || runs_.back().packer.count() >= kMaxRun) {
      if (!runs_.empty()) runs_.back().bytes.shrink_to_fit();  // full: it grows no more
      runs_.emplace_back();
    }
    Run& r = runs_.back();
    if (r.bytes.capacity() - r.bytes.size() < kMaxPackedSampleBytes) {
      // Half as much again, not double as std::string grows by itself: a run's
      // unused tail is memory every series of the head holds.
      std::string grown;
      grown.reserve(r.bytes.size() + std::max<size_t>(r.bytes.size() / 2, 64));
      grown.append(r.bytes);
      r.bytes.swap(grown);
    }
    r.packer.Append(x, &r.bytes);
  }
}

void Head::SampleRuns::FoldUnordered() {
  // Sorted and collapsed, they are a run like any other; it goes before the last
  // run, which keeps taking the samples that arrive in order. Runs may overlap in
  // time: every reader collapses (ReadPacked's contract).
  SortAndCollapse(&unordered_);
  Run folded;
  folded.bytes.reserve(unordered_.size() * 4 + 16);
  for (const Sample& x : unordered_) folded.packer.Append(x, &folded.bytes);
  folded.bytes.shrink_to_fit();
  runs_.insert(runs_.end() - 1, std::move(folded));
  unordered_ = std::vector<Sample>();
}

void Head::SampleRuns::DecodeRun(const Run& r, int64_t mint, int64_t maxt, std::vector<Sample>* out) {
  // The bytes were written by the run's own appender: they always decode.
  absl::Status s = DecodePackedSamples(r.bytes, r.packer.count(), mint, maxt, out);
  assert(s.ok());
  (void)s;
}

void Head::SampleRuns::AppendInRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  out->reserve(out->size() + size_);
  for (const Run& r : runs_) {
    if (r.packer.last_t() < mint || r.packer.first_t() > maxt) continue;
    DecodeRun(r, mint, maxt, out);
  }
  for (const Sample& x : unordered_) {
    if (x.t >= mint && x.t <= maxt) out->push_back(x);
  }
}

std::vector<Sample> Head::SampleRuns::ToVector() const {
  std::vector<Sample> out;
  AppendInRange(kMinTime, kMaxTime, &out);
  return out;
}

size_t Head::Append(HeadKey key, const Labels& labels, std::span<const Sample> samples) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto& slot = shard.series[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->labels = labels;
  }
  slot->samples.Append(samples);
  shard.samples += samples.size();
  return samples.size();
}

bool Head::AppendIfPresent(HeadKey key, std::span<const Sample> samples) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) return false;
  it->second->samples.Append(samples);
  shard.samples += samples.size();
  return true;
}

void Head::AppendIfPresent(std::span<const HeadKey> keys, std::span<const std::span<const Sample>> samples,
                           std::vector<uint8_t>* present) {
  present->assign(keys.size(), 0);
  // Row indices grouped by shard (a counting sort).
  std::array<uint32_t, kShards + 1> start{};
  for (const HeadKey& k : keys) ++start[k.sid % kShards + 1];
  for (size_t s = 0; s < kShards; ++s) start[s + 1] += start[s];
  std::vector<uint32_t> order(keys.size());
  std::array<uint32_t, kShards> fill;
  std::copy(start.begin(), start.end() - 1, fill.begin());
  for (uint32_t i = 0; i < keys.size(); ++i) order[fill[keys[i].sid % kShards]++] = i;

  std::vector<Series*> found;
  for (size_t s = 0; s < kShards; ++s) {
    if (start[s] == start[s + 1]) continue;
    const std::span<const uint32_t> rows(order.data() + start[s], start[s + 1] - start[s]);
    Shard& shard = shards_[s];
    std::lock_guard<std::mutex> lock(shard.mu);
    // Three passes, so the misses of one pass are in flight together: the table
    // slots, then the series, then their sample vectors.
    for (uint32_t i : rows) shard.series.prefetch(keys[i]);
    found.clear();
    for (uint32_t i : rows) {
      auto it = shard.series.find(keys[i]);
      Series* series = it == shard.series.end() ? nullptr : it->second.get();
      if (series != nullptr) __builtin_prefetch(&series->samples);
      found.push_back(series);
    }
    // Then each series' last run, then the end of its bytes, where the append goes.
    for (Series* series : found) {
      if (series != nullptr) series->samples.PrefetchTailRun();
    }
    for (Series* series : found) {
      if (series != nullptr) series->samples.PrefetchTailBytes();
    }
    for (size_t j = 0; j < rows.size(); ++j) {
      Series* series = found[j];
      if (series == nullptr) continue;
      const std::span<const Sample> add = samples[rows[j]];
      series->samples.Append(add);
      shard.samples += add.size();
      (*present)[rows[j]] = 1;
    }
  }
}

void Head::Read(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  const Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) return;
  it->second->samples.AppendInRange(mint, maxt, out);
}

void Head::Prefetch(std::span<const HeadKey> keys) const {
  // In groups of 64, so one word says which keys the head has: the later steps skip
  // the others (a search of series all in blocks takes two steps, not four).
  for (size_t from = 0; from < keys.size(); from += 64) {
    const std::span<const HeadKey> group = keys.subspan(from, std::min<size_t>(64, keys.size() - from));
    for (const HeadKey& k : group) {
      const Shard& shard = ShardFor(k);
      std::lock_guard<std::mutex> lock(shard.mu);
      shard.series.prefetch(k);
    }
    uint64_t present = 0;
    for (size_t i = 0; i < group.size(); ++i) {
      const Shard& shard = ShardFor(group[i]);
      std::lock_guard<std::mutex> lock(shard.mu);
      auto it = shard.series.find(group[i]);
      if (it == shard.series.end()) continue;
      present |= uint64_t{1} << i;
      __builtin_prefetch(it->second.get());
    }
    // Each step under the shard's lock again: a series may be removed between steps.
    auto each_present = [&](auto&& fn) {
      for (uint64_t m = present; m != 0; m &= m - 1) {
        const HeadKey& k = group[static_cast<size_t>(std::countr_zero(m))];
        const Shard& shard = ShardFor(k);
        std::lock_guard<std::mutex> lock(shard.mu);
        auto it = shard.series.find(k);
        if (it != shard.series.end()) fn(*it->second);
      }
    };
    each_present([](const Series& s) { s.samples.PrefetchRunList(); });
    each_present([](const Series& s) { s.samples.PrefetchFirstRun(); });
  }
}

std::vector<DrainedSeries> Head::Drain() {
  std::vector<DrainedSeries> out;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (auto& [key, series] : shard.series) {
      if (series->samples.empty()) continue;
      DrainedSeries d{key, series->labels, series->samples.ToVector()};
      SortAndCollapse(&d.samples);
      out.push_back(std::move(d));
    }
    shard.series.clear();
    shard.samples = 0;
  }
  return out;
}

void Head::Remove(HeadKey key) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) return;
  shard.samples -= it->second->samples.size();
  shard.series.erase(it);
}

std::vector<std::pair<HeadKey, Labels>> Head::List() const {
  std::vector<std::pair<HeadKey, Labels>> out;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [key, series] : shard.series) out.emplace_back(key, series->labels);
  }
  return out;
}

size_t Head::NumSeries() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    n += shard.series.size();
  }
  return n;
}

size_t Head::NumSamples() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    n += shard.samples;
  }
  return n;
}

}  // namespace strata::storage
