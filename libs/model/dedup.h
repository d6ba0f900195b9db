// Merging samples of one series from several sources (replicas, overlapping blocks,
// head and disk) and the deduplication rule of DESIGN.md §5.
//
//   std::vector<Sample> s = ...;           // any order, duplicates allowed
//   SortAndCollapse(&s);                   // ascending, one sample per timestamp
//   Deduplicate(&s, 15'000);               // --dedup-interval=15s
#pragma once

#include <cstdint>
#include <vector>

#include "libs/model/sample.h"

namespace strata {

// True when `a` should be kept over `b` for the same slot (same timestamp, or the
// same dedup bucket with equal timestamps): a real value beats a stale marker;
// between two real values the larger wins (NaN loses to any number).
bool PreferSample(const Sample& a, const Sample& b);

// Sorts by timestamp and keeps one sample per timestamp, chosen by PreferSample.
// Identical (timestamp, value) pairs from replicas collapse into one.
void SortAndCollapse(std::vector<Sample>* samples);

// REQUIRES: samples sorted ascending with unique timestamps (SortAndCollapse).
// With interval_ms > 0, time is cut into buckets (k*D - D, k*D] and each bucket
// keeps its sample with the largest timestamp (ties cannot occur after
// SortAndCollapse). interval_ms <= 0: no-op.
void Deduplicate(std::vector<Sample>* samples, int64_t interval_ms);

}  // namespace strata
