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
// Rows travel through one WriteBatcher per node, so concurrent requests share
// storage calls.
//
//   ReplicatingWriter writer(nodes.get(), {.replication_factor = 2}, &registry);
//   EncodedRows rows = ...;
//   absl::Status s = writer.Write(rows, &outcome);
//   writer.WriteAsync(rows, [](absl::Status s, const WriteOutcome& o) { ... });  // no thread waits
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "libs/cluster/encoded_rows.h"
#include "libs/cluster/storage_nodes.h"
#include "libs/cluster/write_batcher.h"
#include "libs/common/metrics.h"

namespace strata {

struct ReplicatingWriterOptions {
  size_t replication_factor = 1;
  size_t min_replicas = 0;  // 0 = replication_factor
  std::chrono::milliseconds timeout{5000};  // per storage Write call
  // Per-node batching across requests (WriteBatcher).
  size_t max_batch_rows = 10'000;
  size_t max_batch_bytes = 4 << 20;
  std::chrono::microseconds batch_delay{2000};
  size_t max_inflight_per_node = 1;
  // Rows of series a node already holds go by reference (WriteBatcher, ADR 8).
  bool series_refs = true;
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

  // Stores `rows` as described above; `done` gets the answer and the outcome, once,
  // on this thread or a gRPC one, and must not block. `rows` must stay unchanged
  // until `done` has run.
  using WriteDone = std::function<void(absl::Status, const WriteOutcome&)>;
  void WriteAsync(const EncodedRows& rows, WriteDone done);
  // WriteAsync, waiting for the answer (sets *outcome).
  absl::Status Write(const EncodedRows& rows, WriteOutcome* outcome);

  // Write calls made to storage nodes and the request fragments they carried, over
  // every node (fragments / calls is the batching factor).
  WriteBatcher::Stats BatchStats();

 private:
  class WriteOp;
  std::shared_ptr<WriteBatcher> BatcherFor(const std::shared_ptr<StorageNode>& node);

  StorageNodes* nodes_;
  ReplicatingWriterOptions opts_;
  std::mutex batchers_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<WriteBatcher>> batchers_;  // by address
  Counter& rerouted_;
  Counter& under_replicated_;
  Counter& failed_rows_;
  CounterFamily& node_errors_;
  HistogramFamily& node_latency_;
};

}  // namespace strata
