#include "libs/storage/index.h"

#include <algorithm>

#include "libs/common/status_util.h"
#include "libs/storage/key_format.h"
#include "rocksdb/iterator.h"

namespace strata::storage {
namespace {

std::vector<uint64_t> Intersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> Subtract(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void SortUnique(std::vector<uint64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

void Index::AddSeries(rocksdb::WriteBatch* batch, std::span<const NewSeries> series) {
  std::vector<std::string> records, postings, values;
  records.reserve(series.size());
  for (const NewSeries& s : series) {
    records.push_back(SeriesKey(s.tenant, s.sid));
    postings.push_back(PostingKey(s.day, s.tenant, "", "", s.sid));
    for (const Label& l : *s.labels) postings.push_back(PostingKey(s.day, s.tenant, l.name, l.value, s.sid));
  }
  {
    std::lock_guard<std::mutex> lock(pairs_mu_);
    for (const NewSeries& s : series) {
      absl::flat_hash_set<std::string>& put = put_pairs_[s.day];
      for (const Label& l : *s.labels) {
        std::string key = PairPrefix(s.day, s.tenant, l.name, l.value);
        if (put.insert(key).second) values.push_back(std::move(key));
      }
    }
    // Only the latest few partitions are remembered (they get nearly all writes): a
    // forgotten pair merely costs a redundant Put.
    while (put_pairs_.size() > kRememberedDays) put_pairs_.erase(put_pairs_.begin());
  }
  // The records' values, in the order of their sorted keys.
  std::vector<size_t> order(series.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return records[a] < records[b]; });
  for (size_t i : order) batch->Put(db_->series(), records[i], EncodeLabels(*series[i].labels));
  std::sort(postings.begin(), postings.end());
  for (const std::string& key : postings) batch->Put(db_->postings(), key, "");
  std::sort(values.begin(), values.end());
  for (const std::string& key : values) batch->Put(db_->values(), key, "");
}

void Index::ForgetPutPairs() {
  std::lock_guard<std::mutex> lock(pairs_mu_);
  put_pairs_.clear();
}

void Index::ForgetPutPairsBefore(uint32_t day) {
  std::lock_guard<std::mutex> lock(pairs_mu_);
  put_pairs_.erase(put_pairs_.begin(), put_pairs_.lower_bound(day));
}

void Index::RemoveSeries(rocksdb::WriteBatch* batch, uint32_t day, uint64_t tenant, uint64_t sid,
                         const Labels& labels) {
  batch->Delete(db_->postings(), PostingKey(day, tenant, "", "", sid));
  for (const Label& l : labels) batch->Delete(db_->postings(), PostingKey(day, tenant, l.name, l.value, sid));
}

absl::StatusOr<Labels> Index::SeriesLabels(uint64_t tenant, uint64_t sid) const {
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->series(), SeriesKey(tenant, sid), &value);
  if (!s.ok()) return FromRocks(s, "series lookup");
  return DecodeLabels(value);
}

absl::Status Index::SeriesLabelsBatch(uint64_t tenant, std::span<const uint64_t> sids,
                                      std::vector<absl::StatusOr<Labels>>* out) const {
  out->assign(sids.size(), absl::NotFoundError("series not found"));
  return VisitSeriesLabels(tenant, sids, [&](size_t i, std::string_view encoded) {
    (*out)[i] = DecodeLabels(encoded);
    return (*out)[i].status();
  });
}

absl::Status Index::SeriesLabelEntriesBatch(uint64_t tenant, std::span<const uint64_t> sids,
                                            std::vector<std::string>* entries,
                                            std::vector<absl::Status>* status) const {
  entries->assign(sids.size(), std::string());
  status->assign(sids.size(), absl::NotFoundError("series not found"));
  return VisitSeriesLabels(tenant, sids, [&](size_t i, std::string_view encoded) {
    (*status)[i] = EncodedLabelsToEntries(encoded, &(*entries)[i]);
    return (*status)[i];
  });
}

absl::Status Index::VisitSeriesLabels(uint64_t tenant, std::span<const uint64_t> sids,
                                      const std::function<absl::Status(size_t, std::string_view)>& fn) const {
  auto shard_of = [this](uint64_t sid) -> LabelShard& { return label_shards_[(sid >> 7) % kLabelShards]; };
  std::vector<size_t> misses;
  for (size_t i = 0; i < sids.size(); ++i) {
    LabelShard& shard = shard_of(sids[i]);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.labels.find(std::pair{tenant, sids[i]});
    if (it == shard.labels.end()) {
      misses.push_back(i);
    } else {
      (void)fn(i, it->second);  // a cached value was checked when it was cached
    }
  }
  if (misses.empty()) return absl::OkStatus();
  // One forward-moving iterator: sorted look-ups of series that sit close together
  // (the usual case: a selector matches a good part of a tenant) cost a few Next()s
  // each instead of a skip-list or index-block search each.
  const bool sorted = std::is_sorted(sids.begin(), sids.end());
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), db_->series()));
  for (size_t i : misses) {
    const std::string key = SeriesKey(tenant, sids[i]);
    const rocksdb::Slice key_slice(key);
    if (sorted) {
      SeekForward(it.get(), key_slice);
    } else {
      it->Seek(key_slice);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "series lookup");
    if (!it->Valid() || it->key() != key_slice) continue;
    std::string_view value(it->value().data(), it->value().size());
    if (!fn(i, value).ok()) continue;  // corrupt: reported by fn's result, never cached
    LabelShard& shard = shard_of(sids[i]);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (shard.bytes + value.size() > kMaxCachedLabelBytes / kLabelShards) {
      shard.labels.clear();
      shard.bytes = 0;
    }
    if (shard.labels.try_emplace(std::pair{tenant, sids[i]}, value).second) shard.bytes += value.size() + 32;
  }
  return absl::OkStatus();
}

absl::Status Index::PairPostings(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value,
                                 std::vector<uint64_t>* out) const {
  std::string prefix = PairPrefix(day, tenant, name, value);
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(postings_mu_);
    if (const std::vector<uint64_t>* ids = postings_.Find(prefix)) {
      out->insert(out->end(), ids->begin(), ids->end());
      return absl::OkStatus();
    }
    gen = postings_gen_;
  }
  const size_t before = out->size();
  std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->postings()));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() != prefix.size() + 8) continue;
    out->push_back(GetBig64(k.data() + prefix.size()));
  }
  STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "postings scan"));
  std::lock_guard<std::mutex> lock(postings_mu_);
  if (gen == postings_gen_) {
    postings_.Insert(std::move(prefix), std::vector<uint64_t>(out->begin() + before, out->end()));
  }
  return absl::OkStatus();
}

const std::vector<uint64_t>* Index::IdListCache::Find(const std::string& key) const {
  auto it = lists_.find(key);
  return it == lists_.end() ? nullptr : &it->second;
}

void Index::IdListCache::Insert(std::string key, std::vector<uint64_t> ids) {
  if (ids.size() > kMaxCachedPostings) return;
  if (ids_ + ids.size() > kMaxCachedPostings) Clear();
  const size_t n = ids.size();
  if (lists_.try_emplace(std::move(key), std::move(ids)).second) ids_ += n;
}

void Index::IdListCache::Erase(const std::string& key) {
  auto it = lists_.find(key);
  if (it == lists_.end()) return;
  ids_ -= it->second.size();
  lists_.erase(it);
}

void Index::IdListCache::Clear() {
  lists_.clear();
  ids_ = 0;
}

void Index::PostingsChanged(uint32_t day, uint64_t tenant, const Labels& labels) {
  std::lock_guard<std::mutex> lock(postings_mu_);
  ++postings_gen_;
  selects_.Clear();
  postings_.Erase(PairPrefix(day, tenant, "", ""));
  for (const Label& l : labels) postings_.Erase(PairPrefix(day, tenant, l.name, l.value));
}

void Index::ForgetPostings() {
  std::lock_guard<std::mutex> lock(postings_mu_);
  ++postings_gen_;
  postings_.Clear();
  selects_.Clear();
}

template <typename Pred>
absl::Status Index::NamePostings(uint32_t day, uint64_t tenant, std::string_view name, Pred accept,
                                 std::vector<uint64_t>* out) const {
  // Enumerate the name's values from the values CF, then read postings of each
  // accepted value.
  std::vector<std::string> values;
  STRATA_RETURN_IF_ERROR(AllLabelValues(day, tenant, name, &values));
  for (const std::string& v : values) {
    if (accept(v)) STRATA_RETURN_IF_ERROR(PairPostings(day, tenant, name, v, out));
  }
  SortUnique(out);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> Index::Select(uint32_t day, uint64_t tenant, const Matchers& matchers) const {
  std::string key = PairPrefix(day, tenant, "", "");
  for (const Matcher& m : matchers) {
    key.append(m.ToString());
    key.push_back('\0');
  }
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(postings_mu_);
    if (const std::vector<uint64_t>* ids = selects_.Find(key)) return *ids;
    gen = postings_gen_;
  }
  absl::StatusOr<std::vector<uint64_t>> ids = SelectUncached(day, tenant, matchers);
  if (!ids.ok()) return ids;
  std::lock_guard<std::mutex> lock(postings_mu_);
  if (gen == postings_gen_) selects_.Insert(std::move(key), *ids);
  return ids;
}

absl::StatusOr<std::vector<uint64_t>> Index::SelectUncached(uint32_t day, uint64_t tenant,
                                                            const Matchers& matchers) const {
  // Positive matchers (not matching "") intersect; matchers accepting "" subtract the
  // series whose value they reject. Equality and literal-set matchers are point
  // look-ups, so they go first; other regexes enumerate a label's values.
  std::vector<const Matcher*> positive, negative;
  for (const Matcher& m : matchers) (m.MatchesEmpty() ? negative : positive).push_back(&m);
  auto cost = [](const Matcher* m) {
    if (m->type() == MatchType::kEqual) return 0;
    if (m->type() == MatchType::kRegexMatch && !m->SetMatches().empty()) return 1;
    return 2;
  };
  std::stable_sort(positive.begin(), positive.end(),
                   [&](const Matcher* a, const Matcher* b) { return cost(a) < cost(b); });

  std::vector<uint64_t> result;
  bool have = false;
  size_t next = 0;
  for (; next < positive.size(); ++next) {
    // Few candidates left: checking their labels beats reading more posting lists.
    if (have && result.size() <= kFilterInMemory) break;
    const Matcher* m = positive[next];
    std::vector<uint64_t> ids;
    if (m->type() == MatchType::kEqual) {
      STRATA_RETURN_IF_ERROR(PairPostings(day, tenant, m->name(), m->value(), &ids));
      SortUnique(&ids);
    } else if (m->type() == MatchType::kRegexMatch && !m->SetMatches().empty()) {
      for (const std::string& v : m->SetMatches()) {
        if (!v.empty()) STRATA_RETURN_IF_ERROR(PairPostings(day, tenant, m->name(), v, &ids));
      }
      SortUnique(&ids);
    } else {
      STRATA_RETURN_IF_ERROR(NamePostings(day, tenant, m->name(), [m](const std::string& v) { return m->Matches(v); },
                                          &ids));
    }
    result = have ? Intersect(result, ids) : std::move(ids);
    have = true;
    if (result.empty()) return result;
  }
  if (!have) {
    STRATA_RETURN_IF_ERROR(PairPostings(day, tenant, "", "", &result));
    SortUnique(&result);
  }
  if (next < positive.size() || (!negative.empty() && result.size() <= kFilterInMemory)) {
    std::vector<const Matcher*> rest(positive.begin() + static_cast<long>(next), positive.end());
    rest.insert(rest.end(), negative.begin(), negative.end());
    std::vector<absl::StatusOr<Labels>> labels;
    STRATA_RETURN_IF_ERROR(SeriesLabelsBatch(tenant, result, &labels));
    std::vector<uint64_t> kept;
    for (size_t i = 0; i < result.size(); ++i) {
      if (!labels[i].ok()) continue;  // deleted meanwhile
      bool ok = true;
      for (const Matcher* m : rest) {
        if (!m->Matches(labels[i]->Get(m->name()))) {
          ok = false;
          break;
        }
      }
      if (ok) kept.push_back(result[i]);
    }
    return kept;
  }
  for (const Matcher* m : negative) {
    std::vector<uint64_t> bad;
    STRATA_RETURN_IF_ERROR(
        NamePostings(day, tenant, m->name(), [m](const std::string& v) { return !m->Matches(v); }, &bad));
    result = Subtract(result, bad);
    if (result.empty()) break;
  }
  return result;
}

absl::Status Index::AllLabelNames(uint32_t day, uint64_t tenant, std::vector<std::string>* out) const {
  std::string prefix = PartitionPrefix(day, tenant);
  std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->values()));
  it->Seek(prefix);
  while (it->Valid()) {
    std::string_view key(it->key().data(), it->key().size()), name, value;
    if (!ParsePairKey(key, &name, &value, nullptr)) {
      it->Next();
      continue;
    }
    out->emplace_back(name);
    // Skip the rest of this name's values.
    it->Seek(PrefixSuccessor(NamePrefix(day, tenant, name)));
  }
  return FromRocks(it->status(), "label names scan");
}

absl::Status Index::AllLabelValues(uint32_t day, uint64_t tenant, std::string_view name,
                                   std::vector<std::string>* out) const {
  std::string prefix = NamePrefix(day, tenant, name);
  std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->values()));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size()), n, v;
    if (ParsePairKey(key, &n, &v, nullptr) && n == name) out->emplace_back(v);
  }
  return FromRocks(it->status(), "label values scan");
}

std::vector<uint32_t> Index::Days() const {
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(postings_mu_);
    if (days_gen_ == postings_gen_) return days_;
    gen = postings_gen_;
  }
  std::vector<uint32_t> days;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), db_->postings()));
  it->SeekToFirst();
  while (it->Valid()) {
    if (it->key().size() < 4) break;
    uint32_t day = GetBig32(it->key().data());
    days.push_back(day);
    if (day == UINT32_MAX) break;
    std::string next;
    PutBig32(&next, day + 1);
    it->Seek(next);
  }
  std::lock_guard<std::mutex> lock(postings_mu_);
  if (gen == postings_gen_) {  // no change while it was read
    days_ = days;
    days_gen_ = gen;
  }
  return days;
}

}  // namespace strata::storage
