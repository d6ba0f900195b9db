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

// Cardinality of one tenant over the whole cluster (api/v1/status/tsdb).
//
// Counts merge per-node answers of the TSDBStatus RPC. A series lives on
// min(replication_factor, nodes) nodes, so series counts are the per-node sum
// divided by that number (exact when placement is complete, an estimate while
// nodes are down). Distinct label values do not add up across nodes: for every
// label name in a node's top list they are counted exactly with a LabelValues
// fan-out. num_label_pairs is the largest per-node figure (a lower bound). Each
// node is asked for 2*top_n entries so the merged top lists rarely miss one.
struct ClusterTsdbStatus {
  using NameCounts = std::vector<std::pair<std::string, uint64_t>>;  // sorted by count desc, then name
  uint64_t num_series = 0;
  uint64_t num_label_pairs = 0;
  int64_t min_time_ms = 0;  // span of the stored partitions (all tenants); 0 when unknown
  int64_t max_time_ms = 0;
  NameCounts series_count_by_metric_name;
  NameCounts label_value_count_by_label_name;
  NameCounts series_count_by_label_value_pair;  // name is "label=value"
  NameCounts series_count_by_label_name;
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

  // Cluster-wide cardinality of the series matching `ms` (may be empty) with
  // samples in [mint, maxt], top `top_n` (0 = 10) entries per list. Same
  // partial-answer rule as Select.
  absl::StatusOr<ClusterTsdbStatus> TsdbStatus(const Matchers& ms, int64_t mint, int64_t maxt, size_t top_n) const;

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
