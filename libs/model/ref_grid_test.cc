#include "libs/model/ref_grid.h"

#include <limits>
#include <random>
#include <set>

#include <catch2/catch.hpp>

using strata::KeepLatestAtRefs;
using strata::RefGrid;
using strata::Sample;

namespace {

std::vector<Sample> Series(std::initializer_list<int64_t> ts) {
  std::vector<Sample> s;
  for (int64_t t : ts) s.push_back({t, static_cast<double>(t)});
  return s;
}

std::vector<int64_t> Times(const std::vector<Sample>& s) {
  std::vector<int64_t> t;
  for (const Sample& x : s) t.push_back(x.t);
  return t;
}

// What the grid promises, computed the slow way: the last sample at or before
// each reference time, once each, in order.
std::vector<Sample> Reference(const RefGrid& g, const std::vector<Sample>& s) {
  if (g.count == 0) return s;  // no grid
  std::set<size_t> keep;
  for (int64_t i = 0; i < g.count; ++i) {
    const int64_t r = g.first + i * g.step;
    size_t j = 0;
    while (j < s.size() && s[j].t <= r) ++j;
    if (j > 0) keep.insert(j - 1);
  }
  std::vector<Sample> out;
  for (size_t k : keep) out.push_back(s[k]);
  return out;
}

}  // namespace

TEST_CASE("KeepLatestAtRefs keeps the last sample at or before each reference time") {
  // Scrapes every 15 s, evaluated every 60 s from t=60.
  std::vector<Sample> s = Series({0, 15, 30, 45, 60, 75, 90, 105, 120, 135, 150});
  KeepLatestAtRefs(RefGrid{.first = 60, .step = 60, .count = 2}, &s);
  CHECK(Times(s) == std::vector<int64_t>{60, 120});

  // Reference times between samples take the one before; samples after the last
  // reference time and before the first one's predecessor go.
  s = Series({0, 15, 30, 45, 60, 75, 90});
  KeepLatestAtRefs(RefGrid{.first = 20, .step = 40, .count = 2}, &s);
  CHECK(Times(s) == std::vector<int64_t>{15, 60});

  // Two reference times inside one gap read the same sample: kept once.
  s = Series({0, 100, 200});
  KeepLatestAtRefs(RefGrid{.first = 110, .step = 10, .count = 5}, &s);
  CHECK(Times(s) == std::vector<int64_t>{100});

  // One reference time (instant query, `@`): step is not used.
  s = Series({0, 15, 30, 45});
  KeepLatestAtRefs(RefGrid{.first = 44, .step = 0, .count = 1}, &s);
  CHECK(Times(s) == std::vector<int64_t>{30});

  // Everything before the first reference time but its last sample goes.
  s = Series({-50, -40, -30});
  KeepLatestAtRefs(RefGrid{.first = 0, .step = 10, .count = 3}, &s);
  CHECK(Times(s) == std::vector<int64_t>{-30});

  // Nothing at or before any reference time.
  s = Series({100, 200});
  KeepLatestAtRefs(RefGrid{.first = 10, .step = 10, .count = 5}, &s);
  CHECK(s.empty());

  // No grid: nothing changes; an empty series stays empty.
  s = Series({1, 2, 3});
  KeepLatestAtRefs(RefGrid{}, &s);
  CHECK(s.size() == 3);
  s.clear();
  KeepLatestAtRefs(RefGrid{.first = 0, .step = 1, .count = 10}, &s);
  CHECK(s.empty());
}

TEST_CASE("KeepLatestAtRefs keeps stale markers and values bit for bit") {
  std::vector<Sample> s = {{10, 1.5}, {20, strata::StaleNaN()}, {30, 3}, {40, -0.0}};
  KeepLatestAtRefs(RefGrid{.first = 25, .step = 20, .count = 2}, &s);
  REQUIRE(s.size() == 2);
  CHECK(strata::IsStaleNaN(s[0].v));  // the last at or before 25 is the marker: the selector reads "gone"
  CHECK(s[1] == Sample{40, -0.0});
}

TEST_CASE("KeepLatestAtRefs equals the slow rule on random series and grids") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::vector<Sample> s;
    int64_t t = static_cast<int64_t>(rng() % 200) - 100;
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      s.push_back({t, static_cast<double>(i)});
      t += 1 + static_cast<int64_t>(rng() % (round % 3 == 0 ? 60 : 15));
    }
    RefGrid g{.first = static_cast<int64_t>(rng() % 400) - 150,
              .step = 1 + static_cast<int64_t>(rng() % 50),
              .count = static_cast<int64_t>(rng() % 30)};
    if (round % 7 == 0) g.step = 0, g.count = 1;
    REQUIRE(strata::ValidateRefGrid(g).ok());
    std::vector<Sample> got = s;
    KeepLatestAtRefs(g, &got);
    INFO("round " << round << " first " << g.first << " step " << g.step << " count " << g.count);
    CHECK(got == Reference(g, s));
  }
}

TEST_CASE("KeepLatestAtRefs at the ends of the int64 range") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<Sample> s = {{kMin, 1}, {0, 2}, {kMax, 3}};
  // Reference times kMin, -1 and kMax - 1: jumps across half the range each.
  KeepLatestAtRefs(RefGrid{.first = kMin, .step = kMax, .count = 3}, &s);
  CHECK(Times(s) == std::vector<int64_t>{kMin, 0});
}

TEST_CASE("ValidateRefGrid rejects grids it cannot honour") {
  CHECK(strata::ValidateRefGrid(RefGrid{}).ok());
  CHECK(strata::ValidateRefGrid(RefGrid{.first = 5, .step = 0, .count = 1}).ok());
  CHECK(strata::ValidateRefGrid(RefGrid{.first = 5, .step = 10, .count = 11000}).ok());
  absl::Status neg = strata::ValidateRefGrid(RefGrid{.count = -1});
  CHECK(absl::IsInvalidArgument(neg));
  CHECK(neg.message().find("count") != std::string_view::npos);
  absl::Status step = strata::ValidateRefGrid(RefGrid{.first = 0, .step = 0, .count = 2});
  CHECK(absl::IsInvalidArgument(step));
  CHECK(step.message().find("step_ms") != std::string_view::npos);
  CHECK(absl::IsInvalidArgument(strata::ValidateRefGrid(RefGrid{.first = 0, .step = -5, .count = 3})));
  CHECK(absl::IsInvalidArgument(
      strata::ValidateRefGrid(RefGrid{.first = std::numeric_limits<int64_t>::max() - 10, .step = 10, .count = 3})));
  CHECK(absl::IsInvalidArgument(
      strata::ValidateRefGrid(RefGrid{.first = 0, .step = std::numeric_limits<int64_t>::max(), .count = 3})));
}
