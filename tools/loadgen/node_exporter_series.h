// NodeExporterSeries: seeded, node_exporter-like remote_write traffic for
// tools/loadgen and benchmarks.
//
// Series look like what Prometheus scrapes from node_exporter: node_cpu_seconds_total
// {cpu, mode}, node_filesystem_avail_bytes{device, fstype, mountpoint},
// node_network_receive_bytes_total{device}, node_memory_*_bytes, ... with
// job="node" and instance="host-<k>:9100" (about 400 series per host). Counters grow
// by seeded random increments, gauges wander. The same (series, seed) gives the same
// bytes on every run, so two systems can be fed identical bodies.
//
//   strata::loadgen::NodeExporterSeries gen(/*series=*/10'000, /*seed=*/1);
//   // One scrape round = one sample per series at `t_ms`, cut into bodies of
//   // at most 500 series (snappy'd protobuf, what Prometheus POSTs).
//   std::vector<std::string> bodies = gen.Round(t_ms, 500);
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "libs/model/labels.h"

namespace strata::loadgen {

class NodeExporterSeries {
 public:
  // REQUIRES: series > 0.
  NodeExporterSeries(size_t series, uint64_t seed);

  size_t size() const { return labels_.size(); }
  // Labels of series i (sorted by name, __name__ first as Prometheus sends them).
  const std::vector<Label>& labels(size_t i) const { return labels_[i]; }

  // Advances every series by one scrape and returns the remote_write bodies (snappy
  // compressed) of that round, each with at most `series_per_body` series of one
  // sample at `t_ms`. REQUIRES: series_per_body > 0.
  std::vector<std::string> Round(int64_t t_ms, size_t series_per_body);

 private:
  std::vector<std::vector<Label>> labels_;
  std::vector<double> values_;
  std::vector<bool> counter_;
  std::mt19937_64 rng_;
};

}  // namespace strata::loadgen
