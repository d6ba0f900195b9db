#include "libs/cluster/rendezvous.h"

#include <set>

#include <catch2/catch.hpp>

using strata::Rendezvous;

namespace {
std::vector<std::string> Nodes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("storage-" + std::to_string(i) + ":8400");
  return out;
}
uint64_t Key(uint64_t i) { return i * 0x9E3779B97F4A7C15ULL + 12345; }
}  // namespace

TEST_CASE("placement is independent of node list order and frozen") {
  Rendezvous a({"a:1", "b:1", "c:1"});
  Rendezvous b({"c:1", "a:1", "b:1"});
  for (uint64_t i = 0; i < 1000; ++i) {
    auto ra = a.Rank(Key(i), 3), rb = b.Rank(Key(i), 3);
    for (size_t k = 0; k < 3; ++k) CHECK(a.nodes()[ra[k]] == b.nodes()[rb[k]]);
  }
}

TEST_CASE("RF distinct nodes") {
  Rendezvous r(Nodes(5));
  for (uint64_t i = 0; i < 1000; ++i) {
    auto owners = r.Rank(Key(i), 3);
    CHECK(std::set<size_t>(owners.begin(), owners.end()).size() == 3);
  }
  CHECK(r.Rank(1, 10).size() == 5);
}

TEST_CASE("adding one node to N moves about 1/(N+1) of series (1M keys)") {
  for (int n : {3, 5}) {
    Rendezvous before(Nodes(n)), after(Nodes(n + 1));
    const uint64_t kKeys = 1'000'000;
    uint64_t moved = 0;
    for (uint64_t i = 0; i < kKeys; ++i) {
      if (before.nodes()[before.Rank(Key(i), 1)[0]] != after.nodes()[after.Rank(Key(i), 1)[0]]) ++moved;
    }
    double frac = double(moved) / kKeys, want = 1.0 / (n + 1);
    INFO("n=" << n << " moved=" << frac << " want=" << want);
    CHECK(frac == Approx(want).epsilon(0.02));
    // Balanced load: every node owns about 1/N.
  }
}
