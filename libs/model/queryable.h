// The storage seam of the query path, modelled on Prometheus' storage/interface.go.
//
// The PromQL engine reads series only through these interfaces; the local storage
// engine, the in-memory test store (libs/promql/memory_storage.h) and the cluster
// fan-out each implement them. A Queryable is bound to one tenant by whoever
// constructs it; the tenant is not part of this interface.
//
//   absl::StatusOr<std::unique_ptr<Querier>> q = queryable.NewQuerier(mint, maxt);
//   if (!q.ok()) return q.status();
//   SelectHints hints{.start = mint, .end = maxt};
//   std::unique_ptr<SeriesSet> set = (*q)->Select(/*sorted=*/true, &hints, matchers);
//   while (set->Next()) {
//     const Series& s = set->At();
//     std::unique_ptr<SeriesIterator> it = s.Iterator();
//     while (it->Next()) use(s.labels(), it->At());
//     keep(set->TakeLabels());  // optional, last: moves them out when it can
//   }
//   if (!set->status().ok()) return set->status();
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/ref_grid.h"
#include "libs/model/sample.h"

namespace strata {

// Walks one series' samples in increasing timestamp order. Stale markers are
// returned bit for bit (see sample.h).
// Thread-safety: one iterator is used by one thread at a time, but different
// iterators (of the same or other series) may be used from different threads at
// once: the engine evaluates range functions over many series in parallel.
class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Advances to the next sample; false at the end (or on error, see status()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t, never moving backwards: if the
  // current sample is already at or after t it stays. False when there is none.
  virtual bool Seek(int64_t t) = 0;
  // REQUIRES: the last Next()/Seek() returned true.
  virtual Sample At() const = 0;
  // The error that ended iteration early, if any.
  virtual absl::Status status() const { return absl::OkStatus(); }
  // When the iterator reads one sorted in-memory array and has not moved yet: sets
  // *all to every sample it would visit and returns true. A reader that windows over
  // the whole series (the engine's WindowCursor) then skips the per-sample calls.
  // The first call may do the work of reading the series (decoding it); it returns
  // false when that fails, with the error in status().
  virtual bool Contiguous(std::span<const Sample>* all) const {
    (void)all;
    return false;
  }
  // Whether Contiguous() would hold the samples in one array, without reading them:
  // readers check every series this way before they read any (in parallel).
  virtual bool ContiguousAvailable() const { return false; }
};

// One series: its label set and a way to read its samples.
class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator positioned before the first sample. May be called repeatedly.
  // The iterator owns (or shares) what it reads: it stays valid after the Series and
  // the SeriesSet that produced it are gone (the engine keeps iterators that long).
  virtual std::unique_ptr<SeriesIterator> Iterator() const = 0;
};

// The result of a Select: a forward-only cursor over series.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Advances to the next series; false at the end or on error (see status()).
  virtual bool Next() = 0;
  // REQUIRES: the last Next() returned true. Valid until the next call to Next().
  virtual const Series& At() const = 0;
  // The current series' labels, for a reader that keeps them. A set that owns its
  // labels moves them out (At().labels() is then unspecified until Next()); the
  // default copies. Copying every series' labels was ~7 % of a 20 000-series range
  // query in select.
  // REQUIRES: the last Next() returned true.
  virtual Labels TakeLabels() { return At().labels(); }
  // Non-OK when the set ended because of an error.
  virtual absl::Status status() const = 0;
  // Non-fatal problems (e.g. a storage node that did not answer), shown to the user.
  virtual std::vector<std::string> warnings() const { return {}; }
};

// What the engine knows about a Select; storage may use it to read less.
struct SelectHints {
  int64_t start = 0;  // ms, inclusive; samples before it are not needed
  int64_t end = 0;    // ms, inclusive
  int64_t step = 0;   // ms, 0 for an instant query
  int64_t range = 0;  // ms, the range of a matrix selector or 0
  std::string func;   // the function around the selector, e.g. "rate", or ""
  std::vector<std::string> grouping;  // the by/without labels of an outer aggregation
  bool by = false;                    // true for `by`, false for `without`
  // For an instant vector selector: the reference times it is evaluated at. Only
  // the last sample at or before each is read (libs/model/ref_grid.h), so storage
  // may return just those. count 0: every sample in [start, end] may be read.
  RefGrid instant_refs;
};

// Reads series from one time range [mint, maxt] of one tenant.
class Querier {
 public:
  virtual ~Querier() = default;
  // The series matching every matcher. With `sorted`, in Labels order. `hints` may
  // be null. Errors are reported through the returned set's status().
  virtual std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints,
                                            const Matchers& matchers) = 0;
  // Sorted distinct values of label `name` over series matching `matchers` (all
  // series when empty).
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                               const Matchers& matchers) = 0;
  // Sorted distinct label names over series matching `matchers`.
  virtual absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers& matchers) = 0;
};

// A source of Queriers.
class Queryable {
 public:
  virtual ~Queryable() = default;
  // A Querier over samples with timestamps in [mint, maxt] (ms).
  // (Named NewQuerier, not Querier, so it does not hide the Querier type.)
  virtual absl::StatusOr<std::unique_ptr<Querier>> NewQuerier(int64_t mint,
                                                              int64_t maxt) const = 0;
};

}  // namespace strata
