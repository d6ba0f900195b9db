#include "services/insert/row_collector.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

using strata::CounterFamily;
using strata::EncodedRows;
using strata::IngestLimits;
using strata::Label;
using strata::LabelRef;
using strata::MetricsRegistry;
using strata::RowCollector;
using strata::Sample;
using strata::Tenant;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Label sets of every kind the collector handles: sorted and not (names that share
// a first byte included), empty values, the HA label, invalid names, duplicates,
// too many labels, a long value, a non-ASCII value.
std::vector<Pairs> Inputs() {
  std::vector<Pairs> rows;
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"__name__", "cpu", "cluster", "instance", "job", "mode", "replica", "zone"};
  for (int i = 0; i < 300; ++i) {
    Pairs labels;
    labels.emplace_back("__name__", absl::StrCat("metric_", i % 17));
    for (size_t k = 1; k < names.size(); ++k) {
      if (rng() % 3 == 0) continue;
      labels.emplace_back(names[k], rng() % 9 == 0 ? "" : absl::StrCat("v", rng() % 5));
    }
    if (rng() % 4 == 0) std::shuffle(labels.begin(), labels.end(), rng);
    rows.push_back(std::move(labels));
  }
  rows.push_back({{"__name__", "bad"}, {"bad-name", "x"}});
  rows.push_back({{"__name__", "dup"}, {"a", "1"}, {"a", "2"}});
  rows.push_back({{"__name__", "9starts_with_a_digit"}});
  rows.push_back({{"__name__", "utf8"}, {"city", "Zürich"}});
  rows.push_back({{"__name__", "bad_utf8"}, {"v", "\xff\xfe"}});
  Pairs many = {{"__name__", "wide"}};
  for (int i = 0; i < 45; ++i) many.emplace_back(absl::StrCat("l", i), "v");
  rows.push_back(many);
  rows.push_back({{"__name__", "long_value"}, {"v", std::string(5000, 'x')}});
  return rows;
}

// What the collector must produce, built the slow way: relabel, then
// Labels::FromPairs (sort, drop empty values, validate), then the limits.
bool Expected(const Pairs& in, const IngestLimits& limits, std::vector<Label>* out) {
  std::vector<Label> pairs;
  for (const auto& [n, v] : in) {
    if (n == limits.ha_replica_label) continue;
    if (!v.empty() && (n.size() > limits.max_label_name_bytes || v.size() > limits.max_label_value_bytes)) return false;
    pairs.push_back(Label{n, v});
  }
  for (const Label& extra : limits.extra_labels) {
    std::erase_if(pairs, [&](const Label& l) { return l.name == extra.name; });
    pairs.push_back(extra);
  }
  absl::StatusOr<strata::Labels> labels = strata::Labels::FromPairs(std::move(pairs));
  if (!labels.ok() || labels->empty() || labels->size() > limits.max_labels_per_series) return false;
  *out = labels->items();
  return true;
}

}  // namespace

TEST_CASE("RowCollector keeps, relabels, sorts and encodes rows as Labels::FromPairs would") {
  const std::vector<Pairs> input = Inputs();
  IngestLimits plain;
  IngestLimits relabel;
  relabel.ha_replica_label = "replica";
  relabel.extra_labels = {{"zone", "eu"}, {"cluster", "c1"}};
  for (const IngestLimits* limits : {&plain, &relabel}) {
    MetricsRegistry registry;
    CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "test", {"reason"});
    RowCollector c(Tenant{3, 4}, *limits, &rejected);
    c.Expect(input.size(), 1000);  // a hint only: rows past it still fit
    EncodedRows want;
    uint64_t want_rejected = 0;
    const std::vector<Sample> samples = {{1000, 1.5}, {16000, 2.5}};
    for (const Pairs& row : input) {
      std::vector<LabelRef> views;
      for (const auto& [n, v] : row) views.push_back(LabelRef{n, v});
      c.OnRow(strata::ingest::RowView{views, samples});
      std::vector<Label> expected;
      if (!Expected(row, *limits, &expected)) {
        ++want_rejected;
        continue;
      }
      std::vector<LabelRef> refs;
      for (const Label& l : expected) refs.push_back(LabelRef{l.name, l.value});
      want.Add(Tenant{3, 4}, refs, samples);
    }
    REQUIRE(c.rows().size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("row " << i);
      CHECK(c.rows().bytes(i) == want.bytes(i));
      CHECK(c.rows().ref_bytes(i) == want.ref_bytes(i));
      CHECK(c.rows().key(i) == want.key(i));
    }
    CHECK(c.rejected() == want_rejected);
    CHECK(want_rejected == 6);  // bad-name, dup, digit, bad UTF-8, wide, long value
    CHECK(c.samples() == 2 * want.size());
    CHECK(rejected.WithLabels({"invalid_labels"}).Value() == 4);
    CHECK(rejected.WithLabels({"too_many_labels"}).Value() == 1);
    CHECK(rejected.WithLabels({"label_value_too_long"}).Value() == 1);
  }
}
