#include "services/insert/row_collector.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/ingest/remote_write.h"
#include "libs/ingest/remote_write_encoder.h"

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

// The limits the tests run under: none, and relabelling (an HA label, extra labels).
std::vector<IngestLimits> LimitSets() {
  IngestLimits relabel;
  relabel.ha_replica_label = "replica";
  relabel.extra_labels = {{"zone", "eu"}, {"cluster", "c1"}};
  return {IngestLimits{}, relabel};
}

}  // namespace

TEST_CASE("RowCollector keeps, relabels, sorts and encodes rows as Labels::FromPairs would") {
  const std::vector<Pairs> input = Inputs();
  const std::vector<IngestLimits> limit_sets = LimitSets();
  for (const IngestLimits* limits : {&limit_sets[0], &limit_sets[1]}) {
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

namespace {

// A remote_write WriteRequest (not snappy'd) of Inputs(), each with `samples`.
std::string InputsBody(const std::vector<Sample>& samples) {
  std::vector<strata::ingest::WriteRequestSeries> series;
  for (const Pairs& row : Inputs()) {
    strata::ingest::WriteRequestSeries s;
    for (const auto& [n, v] : row) s.labels.push_back(Label{n, v});
    s.samples = samples;
    series.push_back(std::move(s));
  }
  return strata::ingest::EncodeWriteRequestProto(series);
}

// The rows `c` collected, byte for byte.
struct Collected {
  std::vector<std::string> bytes, refs;
  std::vector<uint64_t> keys;
  bool operator==(const Collected&) const = default;
};
Collected Of(RowCollector& c) {
  Collected out;
  for (size_t i = 0; i < c.rows().size(); ++i) {
    out.bytes.emplace_back(c.rows().bytes(i));
    out.refs.emplace_back(c.rows().ref_bytes(i));
    out.keys.push_back(c.rows().key(i));
  }
  return out;
}

}  // namespace

TEST_CASE("RowCollector with a series cache stores remote_write rows exactly as without one") {
  const size_t n_series = Inputs().size();
  const std::string body = InputsBody({{1000, 1.5}, {16000, 2.5}});
  const std::vector<IngestLimits> limit_sets = LimitSets();
  for (const IngestLimits* limits : {&limit_sets[0], &limit_sets[1]}) {
    MetricsRegistry registry;
    CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "test", {"reason"});
    auto collect = [&](Tenant tenant, strata::SeriesCache* cache) {
      auto c = std::make_unique<RowCollector>(tenant, *limits, &rejected, cache);
      strata::ingest::ParseResult result;
      REQUIRE(strata::ingest::ParseRemoteWriteProto(body, *c, &result).ok());
      return c;
    };
    std::unique_ptr<RowCollector> want = collect(Tenant{3, 4}, nullptr);
    REQUIRE(want->rows().size() == n_series - 6);
    strata::SeriesCache cache(1 << 20);
    // First pass: every row misses (repeated label sets within one request too:
    // looked up before any of them was learned). Then every row hits.
    for (int pass = 0; pass < 3; ++pass) {
      INFO("pass " << pass);
      std::unique_ptr<RowCollector> got = collect(Tenant{3, 4}, &cache);
      CHECK(Of(*got) == Of(*want));
      CHECK(got->rejected() == 6);  // rejected rows are never cached: counted every time
      CHECK(got->samples() == want->samples());
      CHECK(got->cache_hits() == (pass == 0 ? 0 : want->rows().size()));
      CHECK(got->cache_misses() == (pass == 0 ? n_series : 6));
    }
    CHECK(rejected.WithLabels({"invalid_labels"}).Value() == 4 * 4);
    // Another tenant's rows never take this tenant's entries.
    std::unique_ptr<RowCollector> other = collect(Tenant{5, 0}, &cache);
    CHECK(other->cache_hits() == 0);
    std::unique_ptr<RowCollector> other_want = collect(Tenant{5, 0}, nullptr);
    CHECK(Of(*other) == Of(*other_want));
    CHECK(Of(*other) != Of(*want));
  }
}

TEST_CASE("RowCollector does not cache a series whose labels are not back to back") {
  // TimeSeries{labels: __name__="up", samples: {1000, 1}, labels: job="a"}: valid
  // protobuf, but its label bytes are not one range, so they key nothing.
  auto field = [](int number, const std::string& payload) {
    return std::string(1, static_cast<char>(number << 3 | 2)) + std::string(1, static_cast<char>(payload.size())) +
           payload;
  };
  auto label = [&](const std::string& n, const std::string& v) { return field(1, field(1, n) + field(2, v)); };
  std::string sample = "\x09";  // value: fixed64 (field 1)
  double one = 1;
  sample.append(reinterpret_cast<const char*>(&one), 8);
  sample += "\x10\xe8\x07";  // timestamp: 1000 (field 2)
  const std::string ts = label("__name__", "up") + field(2, sample) + label("job", "a");
  const std::string body = field(1, ts);
  MetricsRegistry registry;
  CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "test", {"reason"});
  IngestLimits limits;
  strata::SeriesCache cache(1 << 20);
  for (int pass = 0; pass < 2; ++pass) {
    RowCollector c(Tenant{}, limits, &rejected, &cache);
    strata::ingest::ParseResult result;
    REQUIRE(strata::ingest::ParseRemoteWriteProto(body, c, &result).ok());
    REQUIRE(c.rows().size() == 1);
    CHECK(c.cache_hits() + c.cache_misses() == 0);
    EncodedRows want;
    std::vector<LabelRef> refs = {{"__name__", "up"}, {"job", "a"}};
    std::vector<Sample> samples = {{1000, 1}};
    want.Add(Tenant{}, refs, samples);
    CHECK(c.rows().bytes(0) == want.bytes(0));
  }
  CHECK(cache.entries() == 0);
}

TEST_CASE("RowCollector with a series cache matches one without on mutated remote_write bodies") {
  // Bodies of the label sets above with random bytes changed: what still parses must
  // collect the same rows with a cache that has seen every earlier body as without
  // one (a label range that missed a byte would key two series alike).
  const std::string body = InputsBody({{1000, 1.5}});
  const IngestLimits limits = LimitSets()[1];
  MetricsRegistry registry;
  CounterFamily& rejected = registry.AddCounterFamily("rejected_total", "test", {"reason"});
  strata::SeriesCache cache(256 << 10);  // small: generations turn over during the run
  std::mt19937 rng(11);
  int parsed = 0;
  uint64_t hits = 0;
  for (int round = 0; round < 400; ++round) {
    std::string mutated = body;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
    RowCollector with(Tenant{1, 2}, limits, &rejected, &cache);
    RowCollector without(Tenant{1, 2}, limits, &rejected);
    strata::ingest::ParseResult r1, r2;
    const bool ok1 = strata::ingest::ParseRemoteWriteProto(mutated, with, &r1).ok();
    const bool ok2 = strata::ingest::ParseRemoteWriteProto(mutated, without, &r2).ok();
    REQUIRE(ok1 == ok2);
    if (!ok1) continue;
    ++parsed;
    hits += with.cache_hits();
    INFO("round " << round);
    REQUIRE(Of(with) == Of(without));
    REQUIRE(with.rejected() == without.rejected());
    REQUIRE(with.samples() == without.samples());
  }
  CHECK(parsed > 50);
  CHECK(hits > 1000);
  CHECK(cache.bytes() <= (256 << 10));
}
