// ClusterQueryable: the PromQL seam (libs/model/queryable.h) over every storage
// node — what strata-select evaluates queries against.
//
// Select sends the matchers and time range to all nodes in parallel (per-node
// deadline), decodes the blocks, merges series by labels and collapses replicas:
// identical timestamps keep one sample (libs/model/dedup.h), and with
// `dedup_interval_ms` > 0 the bucket rule of DESIGN.md §5 applies.
//
// Partial answers: while fewer than `replication_factor` nodes fail, every series
// still has a live copy and the answer is complete. From `replication_factor`
// failures on, the answer is partial: each failed node is named in warnings(), or,
// with `deny_partial`, the Select fails with Unavailable.
//
//   ClusterQueryable q(nodes, tenant, opts);
//   auto querier = q.NewQuerier(mint, maxt);
#pragma once

#include <chrono>
#include <memory>

#include "libs/cluster/storage_nodes.h"
#include "libs/model/queryable.h"
#include "libs/model/tenant.h"

namespace strata {

struct FanoutOptions {
  size_t replication_factor = 1;
  int64_t dedup_interval_ms = 0;
  bool deny_partial = false;
  std::chrono::milliseconds node_timeout{30'000};
  uint64_t max_series = 0;  // 0 = unlimited; more: ResourceExhausted naming --search-max-series
};

// Partial-answer state shared by every Select of one query.
struct FanoutReport {
  std::vector<std::string> warnings;
  bool partial = false;
};

class ClusterQueryable : public Queryable {
 public:
  ClusterQueryable(StorageNodes* nodes, Tenant tenant, FanoutOptions opts);

  absl::StatusOr<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) const override;

  // Label sets of the series matching `ms` with samples in [mint, maxt] (no
  // samples read), deduplicated across replicas and sorted.
  absl::StatusOr<std::vector<Labels>> SeriesLabels(const Matchers& ms, int64_t mint, int64_t maxt) const;

  // Deletes the matching series on every node; Unavailable unless all nodes answer.
  absl::StatusOr<uint64_t> DeleteSeries(const Matchers& ms) const;

  // Warnings / partial flag accumulated by all Queriers made so far.
  FanoutReport report() const;

 private:
  friend class ClusterQuerier;
  StorageNodes* nodes_;
  Tenant tenant_;
  FanoutOptions opts_;
  std::shared_ptr<struct FanoutState> state_;
};

}  // namespace strata
