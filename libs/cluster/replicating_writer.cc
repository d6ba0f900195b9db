#include "libs/cluster/replicating_writer.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace strata {

ReplicatingWriter::ReplicatingWriter(StorageNodes* nodes, ReplicatingWriterOptions opts, MetricsRegistry* registry)
    : nodes_(nodes),
      opts_(opts),
      rerouted_(registry->AddCounter("strata_insert_rows_rerouted_total",
                                     "Row copies stored on a node outside the series' first RF owners.")),
      under_replicated_(registry->AddCounter("strata_insert_rows_under_replicated_total",
                                             "Rows stored with fewer than RF copies (but at least --min-replicas).")),
      failed_rows_(registry->AddCounter("strata_insert_rows_failed_total",
                                        "Rows that could not get --min-replicas copies (request answered 503).")),
      node_errors_(registry->AddCounterFamily("strata_insert_storage_errors_total",
                                              "Request fragments whose Write call to a storage node failed.",
                                              {"node", "code"})),
      node_latency_(registry->AddHistogramFamily(
          "strata_insert_storage_write_duration_seconds",
          "Duration of the (batched) Write call that carried a request's rows, per storage node.", {"node"},
          LatencyBuckets())) {
  if (opts_.min_replicas == 0 || opts_.min_replicas > opts_.replication_factor) {
    opts_.min_replicas = opts_.replication_factor;
  }
  registry->AddCallbackCounter("strata_insert_storage_write_calls_total",
                               "Write calls made to storage nodes (each carries one or more request fragments).",
                               [this] { return static_cast<double>(BatchStats().calls); });
  registry->AddCallbackCounter("strata_insert_storage_write_fragments_total",
                               "Request fragments sent to storage nodes (a request has one per node, per 10k rows).",
                               [this] { return static_cast<double>(BatchStats().fragments); });
}

WriteBatcher::Stats ReplicatingWriter::BatchStats() {
  WriteBatcher::Stats total;
  std::lock_guard<std::mutex> l(batchers_mu_);
  for (const auto& [address, b] : batchers_) {
    WriteBatcher::Stats s = b->stats();
    total.calls += s.calls;
    total.fragments += s.fragments;
  }
  return total;
}

std::shared_ptr<WriteBatcher> ReplicatingWriter::BatcherFor(const std::shared_ptr<StorageNode>& node) {
  std::lock_guard<std::mutex> l(batchers_mu_);
  std::shared_ptr<WriteBatcher>& b = batchers_[node->address()];
  // A node that left the list and came back is a new StorageNode: a new batcher.
  if (!b || b->node() != node.get()) {
    b = std::make_shared<WriteBatcher>(node, WriteBatcherOptions{.max_batch_bytes = opts_.max_batch_bytes,
                                                                 .max_batch_rows = opts_.max_batch_rows,
                                                                 .max_delay = opts_.batch_delay,
                                                                 .max_inflight = opts_.max_inflight_per_node,
                                                                 .timeout = opts_.timeout});
  }
  return b;
}

absl::Status ReplicatingWriter::Write(const EncodedRows& rows, WriteOutcome* outcome) {
  auto view = nodes_->Current();
  const size_t n = view->nodes.size();
  const size_t rf = std::min(opts_.replication_factor, n);
  outcome->rows += rows.size();
  outcome->samples += rows.total_samples();

  // Per row: its full ranking (rank[i * n ...]), how far it has been consumed, copies made.
  std::vector<uint32_t> rank(rows.size() * n);
  std::vector<uint32_t> next(rows.size(), 0), copies(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) view->ring.RankInto(rows.key(i), n, &rank[i * n]);
  std::vector<std::shared_ptr<WriteBatcher>> batchers(n);
  std::vector<bool> failed(n, false);
  for (size_t i = 0; i < n; ++i) failed[i] = !view->nodes[i]->Healthy();
  absl::Status invalid;

  for (;;) {
    // Assign each row still short of RF copies to its next usable nodes.
    std::vector<std::vector<uint32_t>> by_node(n);
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      size_t want = rf - std::min<size_t>(rf, copies[i]);
      while (want > 0 && next[i] < n) {
        uint32_t node = rank[i * n + next[i]++];
        if (failed[node]) continue;
        by_node[node].push_back(static_cast<uint32_t>(i));
        --want;
        any = true;
      }
    }
    if (!any) break;

    // Hand every node its rows, as fragments of at most max_batch_rows, and wait.
    struct Fragment {
      size_t node, begin, end;  // by_node[node][begin, end)
      WriteResult result;
    };
    std::vector<Fragment> frags;
    for (size_t node = 0; node < n; ++node) {
      for (size_t off = 0; off < by_node[node].size(); off += opts_.max_batch_rows) {
        frags.push_back(Fragment{node, off, std::min(by_node[node].size(), off + opts_.max_batch_rows), {}});
      }
    }
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = frags.size();
    for (Fragment& f : frags) {
      if (!batchers[f.node]) batchers[f.node] = BatcherFor(view->nodes[f.node]);
      std::vector<std::string_view> pieces;
      pieces.reserve(f.end - f.begin);
      for (size_t k = f.begin; k < f.end; ++k) pieces.push_back(rows.bytes(by_node[f.node][k]));
      batchers[f.node]->Submit(std::move(pieces), static_cast<uint32_t>(f.end - f.begin),
                               [&mu, &cv, &pending, &f](const WriteResult& r) {
                                 std::lock_guard<std::mutex> l(mu);
                                 f.result = r;
                                 if (--pending == 0) cv.notify_all();
                               });
    }
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return pending == 0; });
    }

    for (const Fragment& f : frags) {
      StorageNode* target = view->nodes[f.node].get();
      const absl::Status& s = f.result.status;
      node_latency_.WithLabels({target->address()}).Observe(f.result.seconds);
      if (s.ok()) {
        target->ReportSuccess();
        outcome->samples_rejected_by_storage += f.result.rejected_samples;
        for (size_t k = f.begin; k < f.end; ++k) {
          uint32_t i = by_node[f.node][k];
          copies[i]++;
          // A copy on a node outside the row's first RF owners is a reroute.
          const uint32_t* r = &rank[i * n];
          if (std::find(r, r + rf, f.node) == r + rf) {
            ++outcome->rerouted_rows;
            rerouted_.Inc();
          }
        }
        continue;
      }
      node_errors_.WithLabels({target->address(), absl::StatusCodeToString(s.code())}).Inc();
      if (s.code() == absl::StatusCode::kInvalidArgument) {
        if (invalid.ok()) invalid = s;
      } else if (!failed[f.node]) {
        spdlog::warn("storage node {}: {}", target->address(), std::string(s.message()));
        failed[f.node] = true;
        if (s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kDeadlineExceeded) {
          target->ReportFailure();
        }
      }
    }
    if (!invalid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("storage rejected the data: ", invalid.message()));
    }
  }

  // A node list shorter than RF (warned about at start-up) caps both RF and
  // --min-replicas at its length: every configured node holds a copy.
  const size_t need = std::min(opts_.min_replicas, n);
  uint64_t short_rows = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (copies[i] < need) {
      ++short_rows;
    } else if (copies[i] < rf) {
      ++outcome->under_replicated_rows;
      under_replicated_.Inc();
    }
  }
  if (short_rows > 0) {
    failed_rows_.Add(static_cast<double>(short_rows));
    size_t healthy = 0;
    for (size_t i = 0; i < n; ++i) healthy += !failed[i];
    return absl::UnavailableError(absl::StrCat(short_rows, " of ", rows.size(), " rows could not be stored on ",
                                               need, " storage node(s) (", healthy, " of ", n,
                                               " nodes reachable); retry later"));
  }
  return absl::OkStatus();
}

}  // namespace strata
