// An in-memory Queryable for tests and the test-script runner.
//
//   MemoryStorage st;
//   st.Append(*Labels::FromPairs({{"__name__", "up"}}), {{0, 1}, {15000, 1}});
//   Engine engine(EngineOptions{});
//   auto r = engine.InstantQuery(st, "up", 15000);
//
// Samples of one series are kept sorted by time; appending a sample with a
// timestamp already present replaces it. Queriers read the store in place: do not
// Append or Clear while a query runs (concurrent readers are fine).
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "libs/model/queryable.h"

namespace strata::promql {

class MemoryStorage : public Queryable {
 public:
  // Adds `samples` to the series `labels` (created when new).
  void Append(const Labels& labels, const std::vector<Sample>& samples);
  // Drops every series.
  void Clear() { series_.clear(); }
  size_t NumSeries() const { return series_.size(); }
  // With false, iterators do not expose their arrays (SeriesIterator::Contiguous),
  // so readers take their sample-by-sample path (tests compare the two).
  void set_contiguous_iterators(bool on) { contiguous_ = on; }

  absl::StatusOr<std::unique_ptr<strata::Querier>> NewQuerier(int64_t mint,
                                                              int64_t maxt) const override;

 public:
  struct Stored {
    Labels labels;
    std::vector<Sample> samples;
  };

 private:
  // Keyed by label set, so iteration is in Labels order.
  std::map<Labels, std::shared_ptr<Stored>> series_;
  bool contiguous_ = true;
};

}  // namespace strata::promql
