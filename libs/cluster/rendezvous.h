// Rendezvous (highest-random-weight) placement of series on storage nodes.
//
// Each (series key, node) pair gets a score; a series' replicas are the
// `replication_factor` highest-scoring nodes, in score order (the rest of the
// ranking is where a replica goes when an owner is down). Every process computes
// the same answer from the same node list, whatever its order. Adding one node to N
// moves about 1/(N+1) of series.
//
//   Rendezvous ring({"s1:8400", "s2:8400", "s3:8400"});
//   std::vector<size_t> owners = ring.Rank(labels.Hash(), 2);  // indexes into nodes()
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

class Rendezvous {
 public:
  explicit Rendezvous(std::vector<std::string> nodes);

  const std::vector<std::string>& nodes() const { return nodes_; }

  // Score of node i for a series key: xxHash64 of (node hash, key) — stable, frozen.
  uint64_t Score(uint64_t series_key, size_t node) const;

  // The first `n` nodes (indexes into nodes()) in descending score order; ties are
  // broken by node name. n is clamped to nodes().size().
  std::vector<size_t> Rank(uint64_t series_key, size_t n) const;
  // The same into out[0, n) without allocating (for up to 64 nodes).
  void RankInto(uint64_t series_key, size_t n, uint32_t* out) const;

  // True when nodes()[node] is among the first `rf` of Rank(series_key).
  bool Owns(uint64_t series_key, size_t node, size_t rf) const;

 private:
  std::vector<std::string> nodes_;
  std::vector<uint64_t> node_hashes_;
};

}  // namespace strata
