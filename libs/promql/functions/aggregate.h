// Numeric state of the PromQL aggregation operators whose arithmetic matters for
// bit-close answers (Prometheus 2.42 engine.go aggregation()):
//   sum      plain float64 addition in input order (no compensation)  -> SumAggregator
//   avg      incremental mean with Inf handling                        -> AvgAggregator
//   stddev/stdvar  Welford, state seeded from the first sample          -> VarianceAggregator
//   count_values  label value = FormatFloatF(value) (format.h)
//   quantile      Quantile() (histogram.h)
// min/max/count/group/topk/bottomk need no special arithmetic and live in the engine.
//
// sum/avg/stddev/stdvar results depend on the order of Add() calls in the last bits.
// Prometheus 2.42 feeds them in the order its storage returns series (Select with
// sortSeries=false: head creation order, not label order), so bit-exact agreement on
// aggregations is not always possible; agreement to ~1e-15 relative is.
//
//   fn::AvgAggregator avg;                    // one per output group
//   for (double v : group_values) avg.Add(v);
//   double out = avg.Result();
#pragma once

#include <cstdint>

namespace strata::promql::fn {

// sum(): value += v, first sample seeds the value.
class SumAggregator {
 public:
  // Inline: it runs once per input point of a sum.
  void Add(double v) {
    sum_ = count_ == 0 ? v : sum_ + v;
    ++count_;
  }
  double Result() const { return sum_; }
  int64_t count() const { return count_; }

 private:
  double sum_ = 0;
  int64_t count_ = 0;
};

// avg(): the first sample seeds the mean; each further v (n-th, counting from 1):
// if the mean is +-Inf and v is an Inf of the same sign, or v is finite, the mean is
// kept; otherwise mean += v/n - mean/n. Dividing before subtracting avoids overflow
// for values near the float64 limit.
class AvgAggregator {
 public:
  void Add(double v) { Step(&mean_, ++count_, v); }
  // The same on caller-held state: `n` counts v itself.
  static void Step(double* mean, int64_t n, double v);
  // REQUIRES: at least one Add().
  double Result() const { return mean_; }
  int64_t count() const { return count_; }

 private:
  double mean_ = 0;
  int64_t count_ = 0;
};

// stdvar()/stddev(): first sample sets mean = v, M2 = 0 (so one Inf gives 0, unlike
// stdvar_over_time); each further v: delta = v - mean; mean += delta/n;
// M2 += delta * (v - mean). Stdvar = M2/n, Stddev = sqrt(M2/n).
class VarianceAggregator {
 public:
  void Add(double v) { Step(&mean_, &m2_, ++count_, v); }
  // The same on caller-held state: `n` counts v itself.
  static void Step(double* mean, double* m2, int64_t n, double v);
  // REQUIRES: at least one Add().
  double Stdvar() const;
  double Stddev() const;
  int64_t count() const { return count_; }

 private:
  double mean_ = 0;
  double m2_ = 0;
  int64_t count_ = 0;
};

}  // namespace strata::promql::fn
