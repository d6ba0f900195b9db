#include "libs/cluster/rendezvous.h"

#include <algorithm>
#include <cstring>

// Inlined: the same functions and results as libxxhash's, without a call into the
// shared library for every short key (series keys and placement scores are hot).
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace strata {

Rendezvous::Rendezvous(std::vector<std::string> nodes) : nodes_(std::move(nodes)) {
  node_hashes_.reserve(nodes_.size());
  for (const std::string& n : nodes_) node_hashes_.push_back(XXH64(n.data(), n.size(), 0));
}

uint64_t Rendezvous::Score(uint64_t series_key, size_t node) const {
  // Little-endian bytes on every platform we build for; the score is part of the
  // placement contract (docs/architecture.md) and must never change.
  unsigned char buf[16];
  std::memcpy(buf, &node_hashes_[node], 8);
  std::memcpy(buf + 8, &series_key, 8);
  return XXH64(buf, sizeof buf, 0);
}

std::vector<size_t> Rendezvous::Rank(uint64_t series_key, size_t n) const {
  n = std::min(n, nodes_.size());
  std::vector<uint32_t> ranked(n);
  RankInto(series_key, n, ranked.data());
  return std::vector<size_t>(ranked.begin(), ranked.end());
}

void Rendezvous::RankInto(uint64_t series_key, size_t n, uint32_t* out) const {
  n = std::min(n, nodes_.size());
  // Left uninitialized: std::pair's constructor zeroed all 1 KiB of it on every
  // call, half of ranking a row for a 2-node cluster.
  struct Scored {
    uint64_t first;
    uint32_t second;
  };
  constexpr size_t kStack = 64;
  Scored stack[kStack];
  std::vector<Scored> heap;
  Scored* scored = stack;
  if (nodes_.size() > kStack) {
    heap.resize(nodes_.size());
    scored = heap.data();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) scored[i] = Scored{Score(series_key, i), static_cast<uint32_t>(i)};
  auto better = [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return nodes_[a.second] < nodes_[b.second];
  };
  if (nodes_.size() <= 16) {
    // Few nodes (the usual cluster): an insertion sort, not partial_sort's heap.
    for (size_t i = 1; i < nodes_.size(); ++i) {
      for (size_t j = i; j > 0 && better(scored[j], scored[j - 1]); --j) std::swap(scored[j], scored[j - 1]);
    }
  } else {
    std::partial_sort(scored, scored + n, scored + nodes_.size(), better);
  }
  for (size_t i = 0; i < n; ++i) out[i] = scored[i].second;
}

bool Rendezvous::Owns(uint64_t series_key, size_t node, size_t rf) const {
  std::vector<size_t> r = Rank(series_key, rf);
  return std::find(r.begin(), r.end(), node) != r.end();
}

}  // namespace strata
