// Quantile estimation: histogram_quantile() over classic `le` buckets, and the
// sample quantile used by quantile_over_time() and the quantile aggregation, both as
// Prometheus 2.42 computes them.
//
//   std::vector<fn::Bucket> b = {{0.1, 5}, {0.5, 8}, {kInf, 10}};  // (le, count)
//   double p90 = fn::BucketQuantile(0.9, b);   // sorts/merges `b` in place
//
//   std::vector<double> v = {3, 1, 2};
//   double med = fn::Quantile(0.5, v);         // sorts `v` in place -> 2
//
// The engine groups the input series of histogram_quantile by their labels without
// `le` (and without __name__), parses each `le` with ParseBucketBound(), skips series
// whose `le` does not parse, and calls BucketQuantile() once per group.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace strata::promql::fn {

struct Bucket {
  double upper_bound = 0;  // the `le` label value
  double count = 0;        // cumulative count of observations <= upper_bound
};

// Parses an `le` label value as Go's strconv.ParseFloat(s, 64) would: optional sign,
// decimal and exponent forms, "Inf"/"Infinity"/"NaN" in any case (no sign on NaN), hex
// floats with a p exponent ("0x1p-3"); underflow rounds to 0/denormal. nullopt when Go
// would fail: "", surrounding spaces, trailing junk, overflow ("1e400"). One known
// divergence: Go also takes '_' digit separators after a 0x prefix; we do not.
std::optional<double> ParseBucketBound(std::string_view s);

// Prometheus 2.42 bucketQuantile(): NaN q -> NaN; q < 0 -> -Inf; q > 1 -> +Inf;
// then sorts by upper bound; highest bound not +Inf -> NaN; buckets with equal bounds
// are merged (counts added); counts forced monotonic (each count raised to the max
// seen so far); fewer than 2 buckets -> NaN; total count 0 -> NaN. The rank q*total
// falls into the first bucket whose count >= rank: in the +Inf bucket the answer is
// the second-highest bound; in the first bucket with bound <= 0 it is that bound;
// otherwise linear interpolation inside the bucket (from 0 for the first bucket).
// Reorders and may modify `buckets`; the result reads only the first
// (merged) prefix.
double BucketQuantile(double q, std::span<Bucket> buckets);

// Prometheus 2.42 quantile(): empty or NaN q -> NaN; q < 0 -> -Inf; q > 1 -> +Inf;
// otherwise sorts `values` ascending (NaNs first) and interpolates linearly between
// the values at ranks floor(q*(n-1)) and the next one.
// Reorders `values`.
double Quantile(double q, std::span<double> values);

}  // namespace strata::promql::fn
