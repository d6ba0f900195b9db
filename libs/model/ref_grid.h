// The reference times an instant vector selector is evaluated at, and the only
// samples those evaluations read.
//
// PromQL evaluates an instant selector (`up`, not `up[5m]`) at a reference time r by
// taking the series' last sample at or before r, then checking it against the
// lookback window and for a stale marker. A range query evaluates it at
// r = first + i * step for i in [0, count); an instant query, or a selector with an
// `@` modifier, at one time. Every sample that is not the last at or before some
// reference time is never read, so storage may leave it out
// (SearchRequest.instant_refs): with a 60 s step over a 15 s scrape that is three
// samples in four, and an instant query reads one sample per series.
//
//   RefGrid g{.first = start - offset, .step = step, .count = steps};
//   if (absl::Status s = ValidateRefGrid(g); !s.ok()) return s;
//   KeepLatestAtRefs(g, &samples);  // samples ascending, unique timestamps
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "libs/model/sample.h"

namespace strata {

struct RefGrid {
  int64_t first = 0;  // ms, the first reference time
  int64_t step = 0;   // ms, > 0 when count > 1
  int64_t count = 0;  // reference times; 0 means no grid (every sample is read)
  int64_t last() const { return first + (count - 1) * step; }
  friend bool operator==(const RefGrid&, const RefGrid&) = default;
};

// InvalidArgument naming the field when count < 0, when count > 1 and step <= 0,
// or when the last reference time does not fit in an int64.
absl::Status ValidateRefGrid(const RefGrid& g);

// Keeps, in place and in order, exactly the samples that are the last at or before
// some reference time of `g`; drops the rest (those after g.last() included).
// Linear in the samples, whatever the count. A grid with count 0 keeps everything.
// REQUIRES: ValidateRefGrid(g).ok(); samples ascending with unique timestamps
// (SortAndCollapse).
void KeepLatestAtRefs(const RefGrid& g, std::vector<Sample>* samples);

}  // namespace strata
