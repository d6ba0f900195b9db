#include "libs/cluster/replicating_writer.h"

#include <algorithm>
#include <atomic>
#include <future>
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
  registry->AddCallbackCounter("strata_insert_storage_ref_rows_total",
                               "Rows sent to storage nodes by series id instead of labels (--storage-series-refs).",
                               [this] { return static_cast<double>(BatchStats().ref_rows); });
  registry->AddCallbackCounter(
      "strata_insert_storage_ref_refusals_total",
      "Write calls a storage node refused for a series it no longer holds (restart, delete), resent in full.",
      [this] { return static_cast<double>(BatchStats().refused_calls); });
}

WriteBatcher::Stats ReplicatingWriter::BatchStats() {
  WriteBatcher::Stats total;
  std::lock_guard<std::mutex> l(batchers_mu_);
  for (const auto& [address, b] : batchers_) {
    WriteBatcher::Stats s = b->stats();
    total.calls += s.calls;
    total.fragments += s.fragments;
    total.ref_rows += s.ref_rows;
    total.refused_calls += s.refused_calls;
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
                                                                 .timeout = opts_.timeout,
                                                                 .series_refs = opts_.series_refs});
  }
  return b;
}

// One WriteAsync: rounds of fragments, one per node and round, until every row has
// its copies or its ranking is exhausted. Each round is started by the thread that
// finished the previous one (the caller's for the first, then a gRPC thread).
class ReplicatingWriter::WriteOp : public std::enable_shared_from_this<WriteOp> {
 public:
  WriteOp(ReplicatingWriter* w, const EncodedRows& rows, WriteDone done)
      : w_(w), rows_(rows), done_(std::move(done)), view_(w->nodes_->Current()) {}

  void Start() {
    n_ = view_->nodes.size();
    rf_ = std::min(w_->opts_.replication_factor, n_);
    outcome_.rows = rows_.size();
    outcome_.samples = rows_.total_samples();
    // Per row: its full ranking (rank_[i * n ...]), how far it has been consumed, copies made.
    rank_.resize(rows_.size() * n_);
    next_.assign(rows_.size(), 0);
    copies_.assign(rows_.size(), 0);
    for (size_t i = 0; i < rows_.size(); ++i) view_->ring.RankInto(rows_.key(i), n_, &rank_[i * n_]);
    batchers_.resize(n_);
    failed_.resize(n_);
    for (size_t i = 0; i < n_; ++i) failed_[i] = !view_->nodes[i]->Healthy();
    Round();
  }

 private:
  struct Fragment {
    size_t node, begin, end;  // by_node_[node][begin, end)
    WriteResult result;
  };

  // Assigns each row still short of RF copies to its next usable nodes and hands
  // every node its rows, as fragments of at most max_batch_rows.
  void Round() {
    by_node_.assign(n_, {});
    bool any = false;
    for (size_t i = 0; i < rows_.size(); ++i) {
      size_t want = rf_ - std::min<size_t>(rf_, copies_[i]);
      while (want > 0 && next_[i] < n_) {
        uint32_t node = rank_[i * n_ + next_[i]++];
        if (failed_[node]) continue;
        by_node_[node].push_back(static_cast<uint32_t>(i));
        --want;
        any = true;
      }
    }
    if (!any) return Complete();
    frags_.clear();
    const size_t max_rows = w_->opts_.max_batch_rows;
    for (size_t node = 0; node < n_; ++node) {
      for (size_t off = 0; off < by_node_[node].size(); off += max_rows) {
        frags_.push_back(Fragment{node, off, std::min(by_node_[node].size(), off + max_rows), {}});
      }
    }
    pending_.store(frags_.size(), std::memory_order_relaxed);
    // The last fragment's answer may start the next round (even inside Submit):
    // nothing here touches the round's state after the last Submit.
    const size_t count = frags_.size();
    auto self = shared_from_this();
    for (size_t k = 0; k < count; ++k) {
      const Fragment& f = frags_[k];
      if (!batchers_[f.node]) batchers_[f.node] = w_->BatcherFor(view_->nodes[f.node]);
      std::vector<RowPiece> pieces;
      pieces.reserve(f.end - f.begin);
      for (size_t j = f.begin; j < f.end; ++j) {
        const uint32_t i = by_node_[f.node][j];
        pieces.push_back(RowPiece{rows_.bytes(i), rows_.ref_bytes(i), rows_.tenant_key(i), rows_.key(i)});
      }
      WriteBatcher* batcher = batchers_[f.node].get();
      batcher->Submit(std::move(pieces), static_cast<uint32_t>(f.end - f.begin), [self, k](const WriteResult& r) {
        self->frags_[k].result = r;
        if (self->pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) self->Evaluate();
      });
    }
  }

  // Every fragment of the round answered: count copies, mark failed nodes, go on.
  void Evaluate() {
    absl::Status invalid;
    for (const Fragment& f : frags_) {
      StorageNode* target = view_->nodes[f.node].get();
      const absl::Status& s = f.result.status;
      w_->node_latency_.WithLabels({target->address()}).Observe(f.result.seconds);
      if (s.ok()) {
        target->ReportSuccess();
        outcome_.samples_rejected_by_storage += f.result.rejected_samples;
        for (size_t k = f.begin; k < f.end; ++k) {
          uint32_t i = by_node_[f.node][k];
          copies_[i]++;
          // A copy on a node outside the row's first RF owners is a reroute.
          const uint32_t* r = &rank_[i * n_];
          if (std::find(r, r + rf_, f.node) == r + rf_) {
            ++outcome_.rerouted_rows;
            w_->rerouted_.Inc();
          }
        }
        continue;
      }
      w_->node_errors_.WithLabels({target->address(), absl::StatusCodeToString(s.code())}).Inc();
      if (s.code() == absl::StatusCode::kInvalidArgument) {
        if (invalid.ok()) invalid = s;
      } else if (!failed_[f.node]) {
        spdlog::warn("storage node {}: {}", target->address(), std::string(s.message()));
        failed_[f.node] = true;
        if (s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kDeadlineExceeded) {
          target->ReportFailure();
        }
      }
    }
    if (!invalid.ok()) {
      return Finish(absl::InvalidArgumentError(absl::StrCat("storage rejected the data: ", invalid.message())));
    }
    Round();
  }

  // No row can get another copy: judge the copies against RF and --min-replicas.
  void Complete() {
    // A node list shorter than RF (warned about at start-up) caps both RF and
    // --min-replicas at its length: every configured node holds a copy.
    const size_t need = std::min(w_->opts_.min_replicas, n_);
    uint64_t short_rows = 0;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (copies_[i] < need) {
        ++short_rows;
      } else if (copies_[i] < rf_) {
        ++outcome_.under_replicated_rows;
        w_->under_replicated_.Inc();
      }
    }
    if (short_rows == 0) return Finish(absl::OkStatus());
    w_->failed_rows_.Add(static_cast<double>(short_rows));
    size_t healthy = 0;
    for (size_t i = 0; i < n_; ++i) healthy += !failed_[i];
    Finish(absl::UnavailableError(absl::StrCat(short_rows, " of ", rows_.size(), " rows could not be stored on ",
                                               need, " storage node(s) (", healthy, " of ", n_,
                                               " nodes reachable); retry later")));
  }

  void Finish(absl::Status status) {
    WriteDone done = std::move(done_);
    done(std::move(status), outcome_);
  }

  ReplicatingWriter* w_;
  const EncodedRows& rows_;
  WriteDone done_;
  std::shared_ptr<const StorageNodes::View> view_;
  size_t n_ = 0, rf_ = 0;
  std::vector<uint32_t> rank_, next_, copies_;
  std::vector<std::shared_ptr<WriteBatcher>> batchers_;
  std::vector<bool> failed_;
  WriteOutcome outcome_;
  // The current round.
  std::vector<std::vector<uint32_t>> by_node_;
  std::vector<Fragment> frags_;
  std::atomic<size_t> pending_{0};
};

void ReplicatingWriter::WriteAsync(const EncodedRows& rows, WriteDone done) {
  std::make_shared<WriteOp>(this, rows, std::move(done))->Start();
}

absl::Status ReplicatingWriter::Write(const EncodedRows& rows, WriteOutcome* outcome) {
  std::promise<absl::Status> result;
  WriteAsync(rows, [&](absl::Status s, const WriteOutcome& o) {
    *outcome = o;
    result.set_value(std::move(s));
  });
  return result.get_future().get();
}

}  // namespace strata
