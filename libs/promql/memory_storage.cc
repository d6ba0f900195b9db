#include "libs/promql/memory_storage.h"

#include <algorithm>
#include <set>

namespace strata::promql {
namespace {

class VectorIterator : public SeriesIterator {
 public:
  VectorIterator(const std::vector<Sample>* s, size_t begin, size_t end, bool contiguous)
      : samples_(s), i_(begin), end_(end), contiguous_(contiguous) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
      return i_ < end_;
    }
    if (i_ < end_) ++i_;
    return i_ < end_;
  }
  bool Seek(int64_t t) override {
    if (!started_) started_ = true;
    if (i_ >= end_) return false;
    if ((*samples_)[i_].t >= t) return true;
    auto it = std::lower_bound(samples_->begin() + i_, samples_->begin() + end_, t,
                               [](const Sample& s, int64_t v) { return s.t < v; });
    i_ = it - samples_->begin();
    return i_ < end_;
  }
  Sample At() const override { return (*samples_)[i_]; }
  bool ContiguousAvailable() const override { return !started_ && contiguous_; }
  bool Contiguous(std::span<const Sample>* all) const override {
    if (started_ || !contiguous_) return false;
    *all = std::span<const Sample>(samples_->data() + i_, end_ - i_);
    return true;
  }

 private:
  const std::vector<Sample>* samples_;
  size_t i_;
  size_t end_;
  bool contiguous_;
  bool started_ = false;
};

class MemSeries : public Series {
 public:
  MemSeries(const Labels* l, const std::vector<Sample>* s, size_t b, size_t e, bool contiguous)
      : labels_(l), samples_(s), b_(b), e_(e), contiguous_(contiguous) {}
  const Labels& labels() const override { return *labels_; }
  std::unique_ptr<SeriesIterator> Iterator() const override {
    return std::make_unique<VectorIterator>(samples_, b_, e_, contiguous_);
  }

 private:
  const Labels* labels_;
  const std::vector<Sample>* samples_;
  size_t b_, e_;
  bool contiguous_;
};

class MemSeriesSet : public SeriesSet {
 public:
  explicit MemSeriesSet(std::vector<MemSeries> s) : series_(std::move(s)) {}
  bool Next() override { return ++i_ < static_cast<long>(series_.size()); }
  const Series& At() const override { return series_[i_]; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<MemSeries> series_;
  long i_ = -1;
};

using SeriesMap = std::map<Labels, std::shared_ptr<MemoryStorage::Stored>>;

// Reads the storage's map directly: the storage must not change while a querier (or
// anything it returned) is in use.
class MemQuerier : public strata::Querier {
 public:
  MemQuerier(const SeriesMap* s, int64_t mint, int64_t maxt, bool contiguous)
      : series_(s), mint_(mint), maxt_(maxt), contiguous_(contiguous) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints,
                                    const Matchers& matchers) override {
    int64_t lo = mint_, hi = maxt_;
    if (hints != nullptr) {
      lo = std::max(lo, hints->start);
      hi = std::min(hi, hints->end);
    }
    std::vector<MemSeries> out;
    for (const auto& [labels, st] : *series_) {
      if (!MatchesAll(matchers, labels)) continue;
      const std::vector<Sample>& smp = st->samples;
      auto b = std::lower_bound(smp.begin(), smp.end(), lo,
                                [](const Sample& x, int64_t v) { return x.t < v; });
      auto e = std::upper_bound(b, smp.end(), hi,
                                [](int64_t v, const Sample& x) { return v < x.t; });
      if (b >= e) continue;
      out.emplace_back(&labels, &smp, b - smp.begin(), e - smp.begin(), contiguous_);
    }
    return std::make_unique<MemSeriesSet>(std::move(out));
  }

  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const Matchers& matchers) override {
    std::set<std::string> vals;
    for (const auto& [labels, st] : *series_) {
      if (!MatchesAll(matchers, labels)) continue;
      std::string_view v = labels.Get(name);
      if (!v.empty()) vals.insert(std::string(v));
    }
    return std::vector<std::string>(vals.begin(), vals.end());
  }

  absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
    std::set<std::string> names;
    for (const auto& [labels, st] : *series_) {
      if (!MatchesAll(matchers, labels)) continue;
      for (const Label& l : labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  const SeriesMap* series_;
  int64_t mint_, maxt_;
  bool contiguous_;
};

}  // namespace

void MemoryStorage::Append(const Labels& labels, const std::vector<Sample>& samples) {
  std::shared_ptr<Stored>& st = series_[labels];
  if (!st) {
    st = std::make_shared<Stored>();
    st->labels = labels;
  }
  for (const Sample& s : samples) {
    auto it = std::lower_bound(st->samples.begin(), st->samples.end(), s.t,
                               [](const Sample& x, int64_t v) { return x.t < v; });
    if (it != st->samples.end() && it->t == s.t) {
      *it = s;
    } else {
      st->samples.insert(it, s);
    }
  }
}

absl::StatusOr<std::unique_ptr<strata::Querier>> MemoryStorage::NewQuerier(int64_t mint,
                                                                           int64_t maxt) const {
  return std::unique_ptr<strata::Querier>(new MemQuerier(&series_, mint, maxt, contiguous_));
}

}  // namespace strata::promql
