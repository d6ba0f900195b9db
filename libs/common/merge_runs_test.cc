#include "libs/common/merge_runs.h"

#include <catch2/catch.hpp>

#include <random>
#include <utility>
#include <vector>

namespace strata {
namespace {

using Item = std::pair<int, int>;  // (key, position before the merge)

bool KeyLess(const Item& a, const Item& b) { return a.first < b.first; }

// Random runs of random lengths (some empty), keys from a small range so ties
// are everywhere; the result must equal a stable sort of the whole array.
void Check(std::mt19937& rng, size_t runs, size_t max_len, int keys) {
  std::vector<Item> v;
  std::vector<size_t> starts;
  for (size_t r = 0; r < runs; ++r) {
    starts.push_back(v.size());
    const size_t len = rng() % (max_len + 1);
    std::vector<int> run(len);
    for (int& k : run) k = static_cast<int>(rng() % keys);
    std::sort(run.begin(), run.end());
    for (int k : run) v.push_back({k, static_cast<int>(v.size())});
  }
  std::vector<Item> want = v;
  std::stable_sort(want.begin(), want.end(), KeyLess);
  MergeSortedRuns(&v, starts, KeyLess);
  CHECK(v == want);
}

TEST_CASE("MergeSortedRuns equals a stable sort", "[merge_runs]") {
  std::mt19937 rng(11);
  Check(rng, 0, 0, 1);
  Check(rng, 1, 100, 10);
  for (int i = 0; i < 20; ++i) Check(rng, 1 + rng() % 9, 50, 20);
  // Large enough for several pieces per pass (split at merge-path points).
  Check(rng, 2, 40'000, 1'000);
  Check(rng, 7, 30'000, 50);
  Check(rng, 193, 600, 100'000);
  // Every key equal: every split lands on a tie.
  Check(rng, 5, 20'000, 1);
}

}  // namespace
}  // namespace strata
