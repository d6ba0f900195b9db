#include "libs/promql/functions/rate.h"

#include <cmath>

namespace strata::promql::fn {

// Prometheus 2.42's extrapolation, in its order of operations (the answer must
// match it to the last bit). `cap_start_at_zero` applies the counter zero-point cap.
double ExtrapolationFactor(int64_t to_start_ms, int64_t to_end_ms, int64_t sampled_ms, size_t n,
                           int64_t range_ms, bool is_rate, double first_v, double result, bool cap_start_at_zero) {
  double duration_to_start = static_cast<double>(to_start_ms) / 1000;
  double duration_to_end = static_cast<double>(to_end_ms) / 1000;
  double sampled_interval = static_cast<double>(sampled_ms) / 1000;
  double avg_between = sampled_interval / static_cast<double>(n - 1);

  // 2.42 order: the zero-point cap comes before the 1.1x threshold test.
  if (cap_start_at_zero) {
    double duration_to_zero = sampled_interval * (first_v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }

  double threshold = avg_between * 1.1;
  double extrapolate_to = sampled_interval;
  extrapolate_to += duration_to_start < threshold ? duration_to_start : avg_between / 2;
  extrapolate_to += duration_to_end < threshold ? duration_to_end : avg_between / 2;

  double factor = extrapolate_to / sampled_interval;
  if (is_rate) factor /= static_cast<double>(range_ms) / 1000;
  return factor;
}

std::optional<double> ExtrapolatedRate(std::span<const Sample> samples, int64_t range_start_ms,
                                       int64_t range_end_ms, bool is_counter, bool is_rate,
                                       bool known_no_drops, ExtrapolationCache* cache) {
  double v;
  if (!ExtrapolatedRateTo(samples, range_start_ms, range_end_ms, is_counter, is_rate, known_no_drops, cache, &v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> Rate(std::span<const Sample> samples, int64_t range_start_ms,
                           int64_t range_end_ms) {
  return ExtrapolatedRate(samples, range_start_ms, range_end_ms, true, true);
}

std::optional<double> Increase(std::span<const Sample> samples, int64_t range_start_ms,
                               int64_t range_end_ms) {
  return ExtrapolatedRate(samples, range_start_ms, range_end_ms, true, false);
}

std::optional<double> Delta(std::span<const Sample> samples, int64_t range_start_ms,
                            int64_t range_end_ms) {
  return ExtrapolatedRate(samples, range_start_ms, range_end_ms, false, false);
}

namespace {

std::optional<double> InstantValue(std::span<const Sample> samples, bool is_rate) {
  if (samples.size() < 2) return std::nullopt;
  const Sample& last = samples[samples.size() - 1];
  const Sample& prev = samples[samples.size() - 2];
  double result = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
  int64_t interval_ms = last.t - prev.t;
  if (interval_ms == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval_ms) / 1000;
  return result;
}

}  // namespace

std::optional<double> Irate(std::span<const Sample> samples) { return InstantValue(samples, true); }

std::optional<double> Idelta(std::span<const Sample> samples) {
  return InstantValue(samples, false);
}

std::optional<double> Resets(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  int64_t resets = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].v < samples[i - 1].v) ++resets;
  }
  return static_cast<double>(resets);
}

std::optional<double> Changes(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  int64_t changes = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    double cur = samples[i].v, prev = samples[i - 1].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
  }
  return static_cast<double>(changes);
}

}  // namespace strata::promql::fn
