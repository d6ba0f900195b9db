#include "libs/storage/head.h"

#include <thread>

#include <catch2/catch.hpp>

using namespace strata;
using namespace strata::storage;

TEST_CASE("head append, read, drain") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<Sample> a = {{30, 3}, {10, 1}};
  std::vector<Sample> b = {{20, 2}, {10, 1}};
  head.Append({0, 1}, ls, a);
  head.Append({0, 1}, ls, b);
  head.Append({0, 2}, ls, a);
  CHECK(head.NumSeries() == 2);
  CHECK(head.NumSamples() == 6);
  std::vector<Sample> out;
  head.Read({0, 1}, 15, 30, &out);
  CHECK(out.size() == 2);
  out.clear();
  head.Read({1, 1}, 0, 100, &out);  // other tenant
  CHECK(out.empty());
  auto drained = head.Drain();
  REQUIRE(drained.size() == 2);
  for (auto& d : drained) {
    if (d.key.sid == 1) {
      REQUIRE(d.samples.size() == 3);  // sorted, duplicate t=10 collapsed
      CHECK(d.samples[0].t == 10);
      CHECK(d.samples[2].t == 30);
    }
  }
  CHECK(head.NumSeries() == 0);
  CHECK(head.NumSamples() == 0);
}

TEST_CASE("concurrent appends are all kept") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        Sample s{int64_t(t) * 1000 + i, 1.0};
        head.Append({0, uint64_t(i % 10)}, ls, std::span<const Sample>(&s, 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(head.NumSamples() == 4000);
  size_t total = 0;
  for (auto& d : head.Drain()) total += d.samples.size();
  CHECK(total == 4000);
}
