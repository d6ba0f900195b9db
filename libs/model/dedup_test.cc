#include "libs/model/dedup.h"

#include <cmath>

#include <catch2/catch.hpp>

using strata::Sample;

TEST_CASE("SortAndCollapse merges replicas") {
  std::vector<Sample> s = {{30, 3}, {10, 1}, {20, 2}, {10, 1}, {20, 2}, {30, 3}};
  strata::SortAndCollapse(&s);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == Sample{10, 1});
  CHECK(s[2] == Sample{30, 3});
}

TEST_CASE("tie rule: real beats stale, larger value wins") {
  std::vector<Sample> s = {{10, strata::StaleNaN()}, {10, 5}, {20, 1}, {20, 7}, {30, NAN}, {30, 2}};
  strata::SortAndCollapse(&s);
  REQUIRE(s.size() == 3);
  CHECK(s[0].v == 5);
  CHECK(s[1].v == 7);
  CHECK(s[2].v == 2);
  std::vector<Sample> only_stale = {{10, strata::StaleNaN()}, {10, strata::StaleNaN()}};
  strata::SortAndCollapse(&only_stale);
  CHECK(strata::IsStaleNaN(only_stale[0].v));
}

TEST_CASE("Deduplicate keeps the last sample of each bucket kD-D < t <= kD") {
  // D = 10: buckets (0,10], (10,20], (20,30]
  std::vector<Sample> s = {{1, 1}, {10, 2}, {11, 3}, {19, 4}, {20, 5}, {21, 6}};
  strata::Deduplicate(&s, 10);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == Sample{10, 2});
  CHECK(s[1] == Sample{20, 5});
  CHECK(s[2] == Sample{21, 6});
  // Negative timestamps: buckets (-10, 0], (-20,-10]
  std::vector<Sample> n = {{-15, 1}, {-10, 2}, {-9, 3}, {0, 4}};
  strata::Deduplicate(&n, 10);
  REQUIRE(n.size() == 2);
  CHECK(n[0] == Sample{-10, 2});
  CHECK(n[1] == Sample{0, 4});
  // HA pair: two replicas scraping 15s apart offset by 3s, D = 15s -> one per bucket.
  std::vector<Sample> ha;
  for (int64_t k = 0; k < 8; ++k) {
    ha.push_back({k * 15000 + 1000, double(k)});
    ha.push_back({k * 15000 + 4000, double(k) + 0.5});
  }
  strata::SortAndCollapse(&ha);
  strata::Deduplicate(&ha, 15000);
  CHECK(ha.size() == 8);
  CHECK(ha[0].t == 4000);
}
