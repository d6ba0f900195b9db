// Labels: the identity of a series, Prometheus' data model.
//
// A Labels value is a list of (name, value) pairs sorted by name with unique names
// and no empty values (an empty value means "label absent", as in Prometheus). The
// metric name is the label "__name__".
//
//   auto ls = Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
//   if (!ls.ok()) return ls.status();          // names the offending label
//   uint64_t key = ls->Hash();                 // stable across processes/versions
//   ls->ToString() == "up{job=\"node\"}"
//
// Hash() is xxHash64 (seed 0) over name 0xff value 0xff ... : it is stored on disk
// and sent on the wire, so it must never change (docs/format/series_key.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// A label as two views (into a request buffer, say): what the ingest parsers hand
// out and what the insert path validates and hashes without copying.
struct LabelRef {
  std::string_view name;
  std::string_view value;
};

// True when `name` matches [a-zA-Z_][a-zA-Z0-9_]* (Prometheus label names).
bool IsValidLabelName(std::string_view name);
// True when `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus metric names).
bool IsValidMetricName(std::string_view name);

// The checks of Labels::FromPairs, with its messages, on labels already sorted by
// name whose values are all non-empty: names (and the __name__ value) well formed,
// values valid UTF-8, no duplicate names.
absl::Status ValidateSortedLabels(std::span<const LabelRef> sorted);

// Labels::Hash() of the label set `sorted` describes (same REQUIREs as above).
uint64_t HashSortedLabels(std::span<const LabelRef> sorted);

class Labels {
 public:
  Labels() = default;

  // Sorts `pairs`, drops pairs whose value is empty, and validates: label names
  // (and the __name__ value) well formed, values valid UTF-8, no duplicate names.
  // An empty result is allowed here; callers that store series reject it.
  static absl::StatusOr<Labels> FromPairs(std::vector<Label> pairs);

  // REQUIRES: `sorted` is sorted by name, names unique, values non-empty.
  static Labels FromSortedUnchecked(std::vector<Label> sorted);

  const std::vector<Label>& items() const { return items_; }
  std::vector<Label>::const_iterator begin() const { return items_.begin(); }
  std::vector<Label>::const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  // The value of label `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const { return !Get(name).empty(); }
  std::string_view MetricName() const { return Get(kMetricName); }

  // Stable 64-bit series key (see header comment).
  uint64_t Hash() const;
  // Hash over only the named labels / over all but the named labels (for grouping
  // in PromQL). `names` must be sorted.
  uint64_t HashFor(const std::vector<std::string>& names) const;
  uint64_t HashWithout(const std::vector<std::string>& names) const;

  // Prometheus text form: name{a="b", c="d"} (metric name outside the braces, values
  // escaped as Go's %q does); `{}` for an empty set.
  std::string ToString() const;

  // Copy without the metric name; the rvalue form reuses this set's storage.
  Labels WithoutMetricName() const&;
  Labels WithoutMetricName() &&;

  friend bool operator==(const Labels& a, const Labels& b) { return a.items_ == b.items_; }
  // Prometheus' labels.Compare order: pairwise by name then value, shorter first.
  friend bool operator<(const Labels& a, const Labels& b);
  static int Compare(const Labels& a, const Labels& b);

 private:
  std::vector<Label> items_;
};

// Mutable helper for building label sets in the evaluator and the ingest parsers.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base);
  // Sets `name` to `value`; an empty value deletes the label.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  // Sorted result, no validation.
  Labels Build() const;

 private:
  std::vector<Label> items_;  // kept sorted by name
};

}  // namespace strata
