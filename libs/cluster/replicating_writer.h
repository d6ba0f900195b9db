// ReplicatingWriter: how strata-insert stores rows — rendezvous placement, RF
// replicas on distinct nodes, rerouting around dead nodes, and an answer that is OK
// only when every row is in the WAL of enough storage nodes.
//
// For each row (one series of one tenant) the nodes are ranked by rendezvous score
// of the series key. The row is sent to the first `replication_factor` healthy
// nodes of its ranking; when a node fails, its rows move on to the next nodes of
// their own rankings until each row has RF copies or the ranking is exhausted.
// Write() returns OK when every row has at least RF copies, or at least
// `min_replicas` (counted as under-replicated); otherwise Unavailable (the HTTP
// layer answers 503 and the client retries — its samples may then be stored twice,
// which is harmless: identical samples collapse). A storage node answering
// INVALID_ARGUMENT fails the write with InvalidArgument (not retried elsewhere).
//
//   ReplicatingWriter writer(nodes.get(), {.replication_factor = 2}, &registry);
//   std::vector<WriteRow> rows = ...;
//   absl::Status s = writer.Write(rows, &outcome);
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "libs/cluster/storage_nodes.h"
#include "libs/common/metrics.h"
#include "libs/common/thread_pool.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/model/tenant.h"

namespace strata {

struct WriteRow {
  Tenant tenant;
  Labels labels;  // validated, sorted
  std::vector<Sample> samples;
};

struct ReplicatingWriterOptions {
  size_t replication_factor = 1;
  size_t min_replicas = 0;  // 0 = replication_factor
  std::chrono::milliseconds timeout{5000};  // per storage Write call
  int threads = 16;         // parallel calls to storage nodes
  size_t max_batch_rows = 10'000;  // rows per Write call to one node
};

struct WriteOutcome {
  uint64_t rows = 0;
  uint64_t samples = 0;
  uint64_t rerouted_rows = 0;          // copies stored on a node outside the first RF
  uint64_t under_replicated_rows = 0;  // rows stored with < RF copies (but >= min)
  uint64_t samples_rejected_by_storage = 0;  // outside retention etc.
};

class ReplicatingWriter {
 public:
  ReplicatingWriter(StorageNodes* nodes, ReplicatingWriterOptions opts, MetricsRegistry* registry);

  absl::Status Write(const std::vector<WriteRow>& rows, WriteOutcome* outcome);

 private:
  StorageNodes* nodes_;
  ReplicatingWriterOptions opts_;
  ThreadPool pool_;
  Counter& rerouted_;
  Counter& under_replicated_;
  Counter& failed_rows_;
  CounterFamily& node_errors_;
  HistogramFamily& node_latency_;
};

}  // namespace strata
