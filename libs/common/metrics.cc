#include "libs/common/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"

namespace strata {
namespace {

bool IsMetricNameChar(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

bool ValidMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsMetricNameChar(s[i], i == 0)) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view s) {
  if (s.empty() || s.find(':') != std::string_view::npos) return false;
  if (s.size() >= 2 && s[0] == '_' && s[1] == '_') return false;  // reserved
  return ValidMetricName(s);
}

std::string EscapeHelp(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::shared_ptr<const std::vector<double>> CheckedBuckets(std::string_view name,
                                                          std::vector<double> buckets) {
  // A trailing +Inf is implicit; accept it if given.
  if (!buckets.empty() && std::isinf(buckets.back()) && buckets.back() > 0) buckets.pop_back();
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
      metrics_internal::Misuse(
          absl::StrCat("histogram ", Sv(name), ": buckets must be finite and strictly increasing"));
    }
  }
  return std::make_shared<const std::vector<double>>(std::move(buckets));
}

const char* TypeName(metrics_internal::FamilyBase::Type t) {
  switch (t) {
    case metrics_internal::FamilyBase::Type::kCounter: return "counter";
    case metrics_internal::FamilyBase::Type::kGauge: return "gauge";
    case metrics_internal::FamilyBase::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::vector<double> DefaultBuckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::vector<double> LatencyBuckets() {
  return {.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    metrics_internal::Misuse("ExponentialBuckets: need start > 0, factor > 1, count >= 1");
  }
  std::vector<double> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (!(width > 0) || count < 1) metrics_internal::Misuse("LinearBuckets: need width > 0, count >= 1");
  std::vector<double> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // -0 too, as Prometheus writes it
  constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53
  if (v == std::trunc(v) && std::fabs(v) <= kMaxExactInt) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------- Histogram

Histogram::Histogram(std::shared_ptr<const std::vector<double>> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[bounds_->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  const std::vector<double>& b = *bounds_;
  size_t i = std::isnan(v) ? b.size() : std::lower_bound(b.begin(), b.end(), v) - b.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.upper_bounds = *bounds_;
  s.cumulative.resize(bounds_->size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---------------------------------------------------------------- families

namespace metrics_internal {

void Misuse(const std::string& message) {
  std::fprintf(stderr, "strata metrics misuse: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  if (!ValidMetricName(name_)) Misuse(absl::StrCat("invalid metric name \"", name_, "\""));
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& l = label_names_[i];
    if (!ValidLabelName(l)) Misuse(absl::StrCat(name_, ": invalid label name \"", l, "\""));
    if (type_ == Type::kHistogram && l == "le") {
      Misuse(absl::StrCat(name_, ": \"le\" is reserved in histograms"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (label_names_[j] == l) Misuse(absl::StrCat(name_, ": duplicate label name \"", l, "\""));
    }
  }
}

void FamilyBase::CheckArity(size_t n) const {
  if (n != label_names_.size()) {
    Misuse(absl::StrCat(name_, ": WithLabels got ", n, " values for ", label_names_.size(),
                        " label names"));
  }
}

std::string FamilyBase::LabelPrefix(const std::vector<std::string>& values) const {
  if (values.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, label_names_[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  return out;
}

void FamilyBase::RenderHeader(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n# TYPE ", name_, " ",
                  TypeName(type_), "\n");
}

}  // namespace metrics_internal

namespace {

// name{labels} value\n ; `prefix` is FamilyBase::LabelPrefix output.
void AppendSample(std::string* out, std::string_view name, std::string_view suffix,
                  const std::string& prefix, std::string_view extra_label, double v) {
  absl::StrAppend(out, Sv(name), Sv(suffix));
  if (!prefix.empty() || !extra_label.empty()) {
    if (prefix.empty()) {
      absl::StrAppend(out, "{", Sv(extra_label), "}");
    } else if (extra_label.empty()) {
      absl::StrAppend(out, prefix, "}");
    } else {
      absl::StrAppend(out, prefix, ",", Sv(extra_label), "}");
    }
  }
  absl::StrAppend(out, " ", FormatMetricValue(v), "\n");
}

}  // namespace

template <typename T>
void MetricFamily<T>::RenderTo(std::string* out) const {
  absl::ReaderMutexLock lock(&mu_);
  if (children_.empty()) return;
  RenderHeader(out);
  for (const auto& [values, child] : children_) {
    std::string prefix = LabelPrefix(values);
    if constexpr (std::is_same_v<T, Histogram>) {
      Histogram::Snapshot s = child->Snap();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < s.upper_bounds.size() ? FormatMetricValue(s.upper_bounds[i]) : "+Inf";
        AppendSample(out, name(), "_bucket", prefix, absl::StrCat("le=\"", le, "\""),
                     static_cast<double>(s.cumulative[i]));
      }
      AppendSample(out, name(), "_sum", prefix, "", s.sum);
      AppendSample(out, name(), "_count", prefix, "", static_cast<double>(s.count));
    } else {
      AppendSample(out, name(), "", prefix, "", child->Value());
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

// ---------------------------------------------------------------- registry

template <typename T>
MetricFamily<T>& MetricsRegistry::AddFamily(std::string_view name, std::string_view help,
                                            metrics_internal::FamilyBase::Type type,
                                            std::vector<std::string> label_names,
                                            std::shared_ptr<const std::vector<double>> buckets) {
  absl::MutexLock lock(&mu_);
  if (callbacks_.count(name) > 0) {
    metrics_internal::Misuse(absl::StrCat("metric \"", Sv(name), "\" already registered as a callback"));
  }
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = it->second.get();
    bool same = existing->type() == type && existing->label_names() == label_names;
    if (same && buckets != nullptr) same = *buckets_.at(std::string(name)) == *buckets;
    if (!same) {
      metrics_internal::Misuse(absl::StrCat("metric \"", Sv(name),
                                            "\" registered twice with different type, labels or buckets"));
    }
    return *static_cast<MetricFamily<T>*>(existing);
  }
  std::function<std::unique_ptr<T>()> make;
  if constexpr (std::is_same_v<T, Histogram>) {
    make = [buckets] { return std::make_unique<Histogram>(buckets); };
    buckets_[std::string(name)] = buckets;
  } else {
    make = [] { return std::make_unique<T>(); };
  }
  auto family = std::make_unique<MetricFamily<T>>(std::string(name), std::string(help), type,
                                                  std::move(label_names), std::move(make));
  auto* raw = family.get();
  families_.emplace(std::string(name), std::move(family));
  return *raw;
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help) {
  return AddCounterFamily(name, help, {}).WithLabels({});
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help) {
  return AddGaugeFamily(name, help, {}).WithLabels({});
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> buckets) {
  return AddHistogramFamily(name, help, {}, std::move(buckets)).WithLabels({});
}

CounterFamily& MetricsRegistry::AddCounterFamily(std::string_view name, std::string_view help,
                                                 std::vector<std::string> label_names) {
  return AddFamily<Counter>(name, help, metrics_internal::FamilyBase::Type::kCounter,
                            std::move(label_names), nullptr);
}

GaugeFamily& MetricsRegistry::AddGaugeFamily(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names) {
  return AddFamily<Gauge>(name, help, metrics_internal::FamilyBase::Type::kGauge,
                          std::move(label_names), nullptr);
}

HistogramFamily& MetricsRegistry::AddHistogramFamily(std::string_view name, std::string_view help,
                                                     std::vector<std::string> label_names,
                                                     std::vector<double> buckets) {
  return AddFamily<Histogram>(name, help, metrics_internal::FamilyBase::Type::kHistogram,
                              std::move(label_names), CheckedBuckets(name, std::move(buckets)));
}

void MetricsRegistry::AddCallback(std::string_view name, std::string_view help, bool is_counter,
                                  std::function<double()> fn) {
  if (!ValidMetricName(name)) metrics_internal::Misuse(absl::StrCat("invalid metric name \"", Sv(name), "\""));
  absl::MutexLock lock(&mu_);
  if (families_.count(name) > 0) {
    metrics_internal::Misuse(absl::StrCat("metric \"", Sv(name), "\" already registered"));
  }
  auto it = callbacks_.find(name);
  if (it != callbacks_.end() && it->second->is_counter != is_counter) {
    metrics_internal::Misuse(absl::StrCat("callback metric \"", Sv(name), "\" changed type"));
  }
  callbacks_[std::string(name)] =
      std::make_shared<Callback>(Callback{std::string(help), is_counter, std::move(fn)});
}

void MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                       std::function<double()> fn) {
  AddCallback(name, help, false, std::move(fn));
}

void MetricsRegistry::AddCallbackCounter(std::string_view name, std::string_view help,
                                         std::function<double()> fn) {
  AddCallback(name, help, true, std::move(fn));
}

void MetricsRegistry::Remove(std::string_view name) {
  absl::MutexLock lock(&mu_);
  if (auto it = families_.find(name); it != families_.end()) families_.erase(it);
  if (auto it = buckets_.find(name); it != buckets_.end()) buckets_.erase(it);
  if (auto it = callbacks_.find(name); it != callbacks_.end()) callbacks_.erase(it);
}

std::string MetricsRegistry::Render() const {
  std::string out;
  RenderTo(&out);
  return out;
}

void MetricsRegistry::RenderTo(std::string* out) const {
  // Callbacks are copied out and run without the registry lock so that one may
  // itself touch the registry (or block briefly) without deadlocking.
  std::vector<std::pair<std::string, std::shared_ptr<Callback>>> callbacks;
  {
    absl::ReaderMutexLock lock(&mu_);
    callbacks.assign(callbacks_.begin(), callbacks_.end());
  }
  std::map<std::string, std::string, std::less<>> callback_text;
  for (const auto& [name, cb] : callbacks) {
    double v = cb->fn ? cb->fn() : std::nan("");
    std::string& text = callback_text[name];
    absl::StrAppend(&text, "# HELP ", name, " ", EscapeHelp(cb->help), "\n# TYPE ", name, " ",
                    cb->is_counter ? "counter" : "gauge", "\n", name, " ", FormatMetricValue(v), "\n");
  }
  absl::ReaderMutexLock lock(&mu_);
  auto cb = callback_text.begin();
  for (const auto& [name, family] : families_) {
    for (; cb != callback_text.end() && cb->first < name; ++cb) out->append(cb->second);
    family->RenderTo(out);
  }
  for (; cb != callback_text.end(); ++cb) out->append(cb->second);
}

MetricsRegistry& DefaultRegistry() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

}  // namespace strata
