// Metrics registry: counters, gauges and histograms rendered in the Prometheus text
// exposition format 0.0.4 (what every service serves on /metrics).
//
// Metrics are grouped in families: a family has a name, a help text and a fixed list
// of label names; each distinct list of label values is one child. Registering
// returns the family; WithLabels() returns a reference to the child that stays valid
// for the life of the registry, so hot paths look it up once and keep it. Updating a
// child is lock-free (atomics); only the first lookup of new label values takes a lock.
//
//   auto& requests = strata::DefaultRegistry().AddCounterFamily(
//       "strata_insert_rows_total", "Rows accepted, by protocol.", {"protocol"});
//   strata::Counter& influx_rows = requests.WithLabels({"influx"});   // cache this
//   influx_rows.Add(rows.size());
//
//   strata::Histogram& latency = strata::DefaultRegistry().AddHistogram(
//       "strata_flush_duration_seconds", "Time to flush the head.", strata::LatencyBuckets());
//   latency.Observe(seconds);
//
//   strata::DefaultRegistry().AddCallbackGauge("strata_head_series", "Series in the head.",
//                                              [this] { return double(head_.NumSeries()); });
//
//   std::string text = strata::DefaultRegistry().Render();   // for GET /metrics
//
// Registering a name that already exists with the same type, label names (and
// buckets, for histograms) returns the existing family: two servers in one process
// share http_requests_total. Any other reuse of a name, an invalid metric or label
// name, or WithLabels() with the wrong number of values is a programming error: it
// prints the reason to stderr and aborts (like client_golang's MustRegister panics).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strata {

// The Content-Type of Render()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
std::vector<double> DefaultBuckets();
// Buckets for request latencies from 1 ms to 60 s:
// .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 30 60.
std::vector<double> LatencyBuckets();
// `count` buckets: start, start*factor, start*factor^2, ...
// REQUIRES: start > 0, factor > 1, count >= 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// `count` buckets: start, start+width, ... REQUIRES: width > 0, count >= 1.
std::vector<double> LinearBuckets(double start, double width, int count);

// Formats `v` as Prometheus does in the text format: "+Inf", "-Inf", "NaN";
// integral values up to 2^53 in magnitude without exponent or decimal point ("3",
// "1000000"); anything else in the shortest form that parses back to the same
// double ("0.005", "1.5e-07", "1.2345e+20").
std::string FormatMetricValue(double v);

// Escapes a label value for the text format: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view v);

// A monotonically increasing value.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Inc() { Add(1); }
  // Adds `v`. REQUIRES: v >= 0; negative and NaN values are ignored.
  void Add(double v) {
    if (v >= 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Sub(double v) { value_.fetch_sub(v, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Sub(1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (cumulative `le` buckets when rendered)
// plus their sum and count.
class Histogram {
 public:
  // REQUIRES: `upper_bounds` strictly increasing, finite; +Inf is implicit.
  explicit Histogram(std::shared_ptr<const std::vector<double>> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `v` in the first bucket whose upper bound is >= v (NaN goes to +Inf).
  void Observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;  // without +Inf
    std::vector<uint64_t> cumulative;  // upper_bounds.size() + 1 entries, last is +Inf
    double sum = 0;
    uint64_t count = 0;  // == cumulative.back()
  };
  // A copy of the current state. Concurrent Observe() calls may be partly visible,
  // but count always equals the +Inf bucket.
  Snapshot Snap() const;

  const std::vector<double>& upper_bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

namespace metrics_internal {

// Orders label-value lists and lets a span of string_views find a stored
// vector<string> without building one.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](const auto& x, const auto& y) {
                                          return std::string_view(x) < std::string_view(y);
                                        });
  }
};

// Aborts with `message` on stderr (metrics misuse is a programming error).
[[noreturn]] void Misuse(const std::string& message);

// The part of a family that rendering needs, independent of the child type.
class FamilyBase {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends this family's HELP/TYPE lines and samples to `out` (nothing when the
  // family has no children yet).
  virtual void RenderTo(std::string* out) const = 0;

 protected:
  void CheckArity(size_t n) const;
  // `{a="x",b="y"` without the closing brace, or "" with no labels.
  std::string LabelPrefix(const std::vector<std::string>& values) const;
  void RenderHeader(std::string* out) const;

 private:
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
};

}  // namespace metrics_internal

// A family of children of type T (Counter, Gauge or Histogram) keyed by label values.
template <typename T>
class MetricFamily : public metrics_internal::FamilyBase {
 public:
  // Use MetricsRegistry::Add*Family to create one.
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::function<std::unique_ptr<T>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        make_(std::move(make)) {}

  // The child for `values` (one per label name, in order), created on first use.
  // The reference stays valid as long as the registry. Aborts on a wrong count.
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return Get(std::span<const std::string_view>(values.begin(), values.size()));
  }
  T& WithLabels(const std::vector<std::string>& values) {
    std::vector<std::string_view> views(values.begin(), values.end());
    return Get(views);
  }

  // Calls fn(label_values, child) for every child, in label-value order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }

  void RenderTo(std::string* out) const override;

 private:
  T& Get(std::span<const std::string_view> values) {
    CheckArity(values.size());
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = children_.find(values);
      if (it != children_.end()) return *it->second;
    }
    absl::MutexLock lock(&mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
    std::vector<std::string> key(values.begin(), values.end());
    return *children_.emplace(std::move(key), make_()).first->second;
  }

  std::function<std::unique_ptr<T>()> make_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, metrics_internal::LabelValuesLess> children_
      ABSL_GUARDED_BY(mu_);
};

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// A set of metric families. Thread-safe. Families live as long as the registry.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Unlabeled metrics (a family with no label names and its single child).
  Counter& AddCounter(std::string_view name, std::string_view help);
  Gauge& AddGauge(std::string_view name, std::string_view help);
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> buckets = DefaultBuckets());

  // Labeled families. For histograms, "le" is not allowed as a label name.
  CounterFamily& AddCounterFamily(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names);
  GaugeFamily& AddGaugeFamily(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names);
  HistogramFamily& AddHistogramFamily(std::string_view name, std::string_view help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> buckets = DefaultBuckets());

  // A gauge / counter whose value is `fn()` evaluated at every Render(). Registering
  // the same name again (as the same kind) replaces the callback. `fn` runs on the
  // rendering thread and must be cheap and thread-safe; call Remove() before
  // anything it captures is destroyed.
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> fn);
  void AddCallbackCounter(std::string_view name, std::string_view help, std::function<double()> fn);

  // Removes the family or callback called `name` (no-op when absent). REQUIRES: no
  // reference obtained from that family is used afterwards.
  void Remove(std::string_view name);

  // The whole registry in text format 0.0.4, families sorted by name, children by
  // label values.
  std::string Render() const;
  // Same, appended to `out`.
  void RenderTo(std::string* out) const;

 private:
  struct Callback {
    std::string help;
    bool is_counter;
    std::function<double()> fn;
  };
  template <typename T>
  MetricFamily<T>& AddFamily(std::string_view name, std::string_view help,
                             metrics_internal::FamilyBase::Type type,
                             std::vector<std::string> label_names,
                             std::shared_ptr<const std::vector<double>> buckets);
  void AddCallback(std::string_view name, std::string_view help, bool is_counter,
                   std::function<double()> fn);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyBase>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
  // Bucket bounds per histogram family, to detect conflicting re-registration.
  std::map<std::string, std::shared_ptr<const std::vector<double>>, std::less<>> buckets_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Callback>, std::less<>> callbacks_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry served by every HttpServer's /metrics.
MetricsRegistry& DefaultRegistry();

}  // namespace strata
