#include "libs/promql/functions/over_time.h"

#include <cmath>

#include "libs/promql/functions/histogram.h"
#include "libs/promql/functions/kahan.h"

namespace strata::promql::fn {

using internal::KahanAdd;

std::optional<double> AvgOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  double mean = 0, c = 0, count = 0;
  for (const Sample& s : samples) {
    count++;
    if (std::isinf(mean)) {
      // Inf - Inf would turn a correct infinite mean into NaN.
      if (std::isinf(s.v) && (mean > 0) == (s.v > 0)) continue;
      if (!std::isinf(s.v) && !std::isnan(s.v)) continue;
    }
    KahanAdd(s.v / count - mean / count, mean, c);
  }
  if (std::isinf(mean)) return mean;
  return mean + c;
}

std::optional<double> SumOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  double sum = 0, c = 0;
  for (const Sample& s : samples) KahanAdd(s.v, sum, c);
  if (std::isinf(sum)) return sum;
  return sum + c;
}

std::optional<double> CountOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  return static_cast<double>(samples.size());
}

std::optional<double> MinOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  double min = samples[0].v;
  for (const Sample& s : samples) {
    if (s.v < min || std::isnan(min)) min = s.v;
  }
  return min;
}

std::optional<double> MaxOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  double max = samples[0].v;
  for (const Sample& s : samples) {
    if (s.v > max || std::isnan(max)) max = s.v;
  }
  return max;
}

namespace {

// Welford with compensated mean and M2, from mean 0 (not seeded by the first value).
double Variance(std::span<const Sample> samples) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const Sample& s : samples) {
    count++;
    double delta = s.v - (mean + c_mean);
    KahanAdd(delta / count, mean, c_mean);
    KahanAdd(delta * (s.v - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

}  // namespace

std::optional<double> StdvarOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  return Variance(samples);
}

std::optional<double> StddevOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  return std::sqrt(Variance(samples));
}

std::optional<double> LastOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  return samples.back().v;
}

std::optional<double> PresentOverTime(std::span<const Sample> samples) {
  if (samples.empty()) return std::nullopt;
  return 1.0;
}

std::optional<double> QuantileOverTime(double q, std::span<const Sample> samples,
                                       std::vector<double>& scratch) {
  if (samples.empty()) return std::nullopt;
  scratch.clear();
  scratch.reserve(samples.size());
  for (const Sample& s : samples) scratch.push_back(s.v);
  return Quantile(q, scratch);
}

std::optional<double> QuantileOverTime(double q, std::span<const Sample> samples) {
  std::vector<double> scratch;
  return QuantileOverTime(q, samples, scratch);
}

}  // namespace strata::promql::fn
