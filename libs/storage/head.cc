#include "libs/storage/head.h"

#include "libs/model/dedup.h"

namespace strata::storage {

size_t Head::Append(HeadKey key, const Labels& labels, std::span<const Sample> samples) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto& slot = shard.series[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->labels = labels;
  }
  slot->samples.insert(slot->samples.end(), samples.begin(), samples.end());
  shard.samples += samples.size();
  return samples.size();
}

bool Head::AppendIfPresent(HeadKey key, std::span<const Sample> samples) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) return false;
  it->second->samples.insert(it->second->samples.end(), samples.begin(), samples.end());
  shard.samples += samples.size();
  return true;
}

void Head::Read(HeadKey key, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  const Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.series.find(key);
  if (it == shard.series.end()) return;
  for (const Sample& s : it->second->samples) {
    if (s.t >= mint && s.t <= maxt) out->push_back(s);
  }
}

std::vector<DrainedSeries> Head::Drain() {
  std::vector<DrainedSeries> out;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (auto& [key, series] : shard.series) {
      if (series->samples.empty()) continue;
      DrainedSeries d{key, series->labels, std::move(series->samples)};
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
