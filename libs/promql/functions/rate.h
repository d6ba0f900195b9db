// Counter and gauge rate kernels: rate, increase, delta, irate, idelta, resets,
// changes, with Prometheus 2.42's exact numerics.
//
// Each kernel sees the samples of ONE series inside the range window, oldest first,
// with stale markers already removed (the engine's job, as in Prometheus).
//
//   // rate(x[5m]) evaluated at t = 600s:
//   std::optional<double> r = fn::Rate(window, /*range_start_ms=*/300'000,
//                                      /*range_end_ms=*/600'000);
//   if (!r) { /* fewer than two samples: the series drops out of the result */ }
//
// The window bounds are the selector's, including any offset/@ shift:
// range_start_ms = eval_ts - range - offset, range_end_ms = eval_ts - offset. The
// per-second divisor of rate() is the selector range, (end - start) / 1000.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "libs/model/sample.h"

namespace strata::promql::fn {

// Prometheus 2.42 extrapolatedRate(): last - first (plus, when `is_counter`, the
// value before every drop, i.e. counter-reset correction), extrapolated towards the
// window edges: to an edge when the gap to it is below 1.1x the average sample
// interval, else by half an average interval; for counters with a positive result and
// a non-negative first value, the start extrapolation is capped at the estimated zero
// point (applied before the 1.1x test, as 2.42 does). When `is_rate`, the result is
// divided by the window length in seconds.
// Returns nullopt when `samples` has fewer than 2 elements.
// REQUIRES: samples sorted by time, all within [range_start_ms, range_end_ms],
// range_end_ms > range_start_ms.
// `known_no_drops` lets a caller that already knows no sample is below its
// predecessor skip the reset scan (the answer is the same).
//
// The extrapolation factor depends only on the window's shape (gaps to the edges,
// sampled span, sample count) unless the zero-point cap applies, and regular
// scrapes give the same few shapes at every step: `cache`, when given, keeps the
// factor of the last shape so its four dependent divisions are skipped on a
// repeat. The answer is bit for bit the one computed without it.
struct ExtrapolationCache {
  bool valid = false;
  bool is_rate = false;
  int64_t to_start = 0, to_end = 0, sampled = 0, range = 0;
  size_t n = 0;
  double factor = 0;
};
std::optional<double> ExtrapolatedRate(std::span<const Sample> samples, int64_t range_start_ms,
                                       int64_t range_end_ms, bool is_counter, bool is_rate,
                                       bool known_no_drops = false, ExtrapolationCache* cache = nullptr);
// The same, writing the value to *out and returning whether there is one: the
// engine's per-window form. Returning std::optional<double> through memory cost a
// store-forwarding stall per window (a 1-byte flag stored, 8 bytes loaded back).
// Always inlined (below) into the engine's window loop (RateWindows in
// libs/promql/engine/functions.cc): as a call per window with eight arguments, the
// loop and the call were 36 % of `promql_bench`'s BM_SumRateRange; inlined, 28 %
// of a run ~7 % shorter (docs/benchmarks.md).
inline bool ExtrapolatedRateTo(std::span<const Sample> samples, int64_t range_start_ms, int64_t range_end_ms,
                               bool is_counter, bool is_rate, bool known_no_drops, ExtrapolationCache* cache,
                               double* out);

// The factor ExtrapolatedRateTo multiplies last - first (+ resets) by, for a window
// `to_start_ms` after the range start, `to_end_ms` before its end, `sampled_ms` from
// first to last sample, `n` samples. `cap_start_at_zero` applies the counter
// zero-point cap, which needs `first_v` and `result`.
double ExtrapolationFactor(int64_t to_start_ms, int64_t to_end_ms, int64_t sampled_ms, size_t n,
                           int64_t range_ms, bool is_rate, double first_v, double result, bool cap_start_at_zero);

// rate(): ExtrapolatedRate(counter, per second).
std::optional<double> Rate(std::span<const Sample> samples, int64_t range_start_ms,
                           int64_t range_end_ms);
// increase(): ExtrapolatedRate(counter, not per second).
std::optional<double> Increase(std::span<const Sample> samples, int64_t range_start_ms,
                               int64_t range_end_ms);
// delta(): ExtrapolatedRate(gauge, not per second).
std::optional<double> Delta(std::span<const Sample> samples, int64_t range_start_ms,
                            int64_t range_end_ms);

// irate(): from the last two samples; if the last is below the previous (a reset) the
// increase is the last value itself; divided by their distance in seconds.
// Returns nullopt with fewer than 2 samples or when the last two share a timestamp.
std::optional<double> Irate(std::span<const Sample> samples);
// idelta(): last - previous (no reset handling). nullopt as for Irate().
std::optional<double> Idelta(std::span<const Sample> samples);

// resets(): how many times a value is lower than its predecessor (0 for a single
// sample). Returns nullopt for an empty window.
std::optional<double> Resets(std::span<const Sample> samples);

// changes(): how many times a value differs from its predecessor; NaN -> NaN is not a
// change, NaN -> x and x -> NaN are. Returns nullopt for an empty window.
std::optional<double> Changes(std::span<const Sample> samples);

[[gnu::always_inline]] inline bool ExtrapolatedRateTo(std::span<const Sample> samples, int64_t range_start_ms,
                                                     int64_t range_end_ms, bool is_counter, bool is_rate,
                                                     bool known_no_drops, ExtrapolationCache* cache, double* out) {
  if (samples.size() < 2) return false;
  const Sample& first = samples.front();
  const Sample& last = samples.back();

  double result = last.v - first.v;
  if (is_counter && !known_no_drops) {
    // Every drop is a reset: the counter restarted from 0, so what it had reached
    // before the drop is added back.
    double prev = first.v;
    for (const Sample& s : samples.subspan(1)) {
      if (s.v < prev) result += prev;
      prev = s.v;
    }
  }

  const int64_t to_start = first.t - range_start_ms, to_end = range_end_ms - last.t, sampled = last.t - first.t;
  const int64_t range = range_end_ms - range_start_ms;
  const size_t n = samples.size();
  const bool cap = is_counter && result > 0 && first.v >= 0;
  // The cap cannot bite when first.v / result is at least twice to_start / sampled:
  // then duration_to_zero exceeds duration_to_start whatever the rounding.
  const bool cap_may_bite =
      cap && !(first.v * static_cast<double>(sampled) >= 2 * static_cast<double>(to_start) * result);
  if (cache == nullptr || cap_may_bite) {
    *out = result * ExtrapolationFactor(to_start, to_end, sampled, n, range, is_rate, first.v, result, cap);
    return true;
  }
  if (!cache->valid || cache->to_start != to_start || cache->to_end != to_end || cache->sampled != sampled ||
      cache->n != n || cache->range != range || cache->is_rate != is_rate) {
    cache->factor = ExtrapolationFactor(to_start, to_end, sampled, n, range, is_rate, 0, 0, false);
    cache->valid = true;
    cache->is_rate = is_rate;
    cache->to_start = to_start;
    cache->to_end = to_end;
    cache->sampled = sampled;
    cache->n = n;
    cache->range = range;
  }
  *out = result * cache->factor;
  return true;
}

}  // namespace strata::promql::fn
