#include "libs/cluster/fanout_querier.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "libs/encoding/block.h"
#include "libs/common/merge_runs.h"
#include "libs/common/metrics.h"
#include "libs/common/thread_pool.h"
#include "libs/common/status_util.h"
#include "libs/common/thread_cache.h"
#include "libs/model/dedup.h"
#include "libs/rpc/grpc_status.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/search_wire.h"

namespace strata {

struct FanoutState {
  std::mutex mu;
  FanoutReport report;
};

namespace {

// Owns a reference to the samples: the engine keeps iterators after the series set
// that made them is gone.
class VectorIterator : public SeriesIterator {
 public:
  explicit VectorIterator(std::shared_ptr<const std::vector<Sample>> s) : s_(std::move(s)) {}
  bool Next() override { return ++i_ < s_->size(); }
  bool Seek(int64_t t) override {
    if (i_ == SIZE_MAX) i_ = 0;
    while (i_ < s_->size() && (*s_)[i_].t < t) ++i_;
    return i_ < s_->size();
  }
  Sample At() const override { return (*s_)[i_]; }
  bool ContiguousAvailable() const override { return i_ == SIZE_MAX; }
  bool Contiguous(std::span<const Sample>* all) const override {
    if (i_ != SIZE_MAX) return false;
    *all = *s_;
    return true;
  }

 private:
  std::shared_ptr<const std::vector<Sample>> s_;
  size_t i_ = SIZE_MAX;
};

// One Search answer message: its bytes, and its series read from them in place
// (libs/rpc/search_wire.h) rather than parsed into protobuf objects.
struct AnswerMessage {
  std::string bytes;
  std::vector<SearchSeriesView> series;  // views into `bytes`
};

// Gathers `received` into out->bytes (one copy: gRPC hands a message over in many
// slices) and reads its series. DataLoss when it is not a SearchResponse.
absl::Status ReadAnswer(grpc::ByteBuffer* received, AnswerMessage* out) {
  std::vector<grpc::Slice> slices;
  if (!received->Dump(&slices).ok()) return absl::DataLossError("unreadable answer message");
  size_t n = 0;
  for (const grpc::Slice& sl : slices) n += sl.size();
  out->bytes.reserve(n);
  for (const grpc::Slice& sl : slices) out->bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  received->Clear();
  return ParseSearchResponse(out->bytes, &out->series);
}

// Whether some block of `s` certainly holds a sample within [mint, maxt]: a
// block's first and last samples are at its min and max times.
bool SurelyHasSamples(const SearchSeriesView& s, int64_t mint, int64_t maxt) {
  for (const BlockView& b : s.blocks) {
    if (b.samples == 0) continue;
    if ((b.min_time_ms >= mint && b.min_time_ms <= maxt) || (b.max_time_ms >= mint && b.max_time_ms <= maxt)) {
      return true;
    }
  }
  return false;
}

// One series' samples as the storage nodes sent them (one part per replica that
// sent it), decoded only when the engine reads them: on the engine's threads, each
// series just before its windows, while the samples are in cache. Decoding every
// answer into sample arrays as it arrived took ~40 % of a large query's select CPU,
// and a tenth of that was page faults on the arrays (16 bytes a sample, against
// 1-2 encoded).
struct EncodedSeries {
  struct Part {
    std::shared_ptr<const AnswerMessage> owner;  // holds `series`
    const SearchSeriesView* series;
  };
  absl::InlinedVector<Part, 1> parts;
  int64_t mint = 0, maxt = 0;  // samples outside are dropped
  int64_t dedup_interval_ms = 0;

  // Every part's samples within [mint, maxt], each part sorted and collapsed, then
  // merged with the others and deduplicated (DESIGN.md §5).
  absl::Status Decode(std::vector<Sample>* out) const {
    out->clear();
    std::vector<Sample> copy;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::vector<Sample>* v = i == 0 ? out : &copy;
      v->clear();
      for (const BlockView& b : parts[i].series->blocks) {
        absl::Status s = DecodeBlockView(b, mint, maxt, v);
        if (!s.ok()) {
          return absl::DataLossError(absl::StrCat("a storage node sent a block that does not decode: ", s.message()));
        }
      }
      SortAndCollapse(v);
      if (i == 0) continue;
      // Each replica's samples are sorted: merge, so SortAndCollapse need not sort.
      const size_t mid = out->size();
      out->insert(out->end(), copy.begin(), copy.end());
      std::inplace_merge(out->begin(), out->begin() + static_cast<long>(mid), out->end(),
                         [](const Sample& a, const Sample& b) { return a.t < b.t; });
    }
    if (parts.size() > 1) SortAndCollapse(out);
    Deduplicate(out, dedup_interval_ms);
    return absl::OkStatus();
  }
};

// Decodes its series on first use. A series that does not decode ends the
// iteration with the error in status() (Contiguous() then returns false).
class EncodedIterator : public SeriesIterator {
 public:
  explicit EncodedIterator(std::shared_ptr<const EncodedSeries> e) : e_(std::move(e)) {}
  bool Next() override { return Load() && ++i_ < s_.size(); }
  bool Seek(int64_t t) override {
    if (!Load()) return false;
    if (i_ == SIZE_MAX) i_ = 0;
    while (i_ < s_.size() && s_[i_].t < t) ++i_;
    return i_ < s_.size();
  }
  Sample At() const override { return s_[i_]; }
  absl::Status status() const override { return status_; }
  bool ContiguousAvailable() const override { return i_ == SIZE_MAX; }
  bool Contiguous(std::span<const Sample>* all) const override {
    if (i_ != SIZE_MAX || !Load()) return false;
    *all = s_;
    return true;
  }

 private:
  bool Load() const {
    if (!loaded_) {
      loaded_ = true;
      status_ = e_->Decode(&s_);
      if (!status_.ok()) s_.clear();
    }
    return status_.ok();
  }

  std::shared_ptr<const EncodedSeries> e_;
  mutable bool loaded_ = false;
  mutable absl::Status status_;
  mutable std::vector<Sample> s_;
  size_t i_ = SIZE_MAX;
};

class MergedSeries : public Series {
 public:
  MergedSeries(Labels labels, std::shared_ptr<const EncodedSeries> encoded)
      : labels_(std::move(labels)), encoded_(std::move(encoded)) {}
  MergedSeries(Labels labels, std::vector<Sample> samples)
      : labels_(std::move(labels)), samples_(std::make_shared<const std::vector<Sample>>(std::move(samples))) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SeriesIterator> Iterator() const override {
    if (encoded_ != nullptr) return std::make_unique<EncodedIterator>(encoded_);
    return std::make_unique<VectorIterator>(samples_);
  }
  Labels TakeLabels() { return std::move(labels_); }

 private:
  Labels labels_;
  std::shared_ptr<const EncodedSeries> encoded_;        // or:
  std::shared_ptr<const std::vector<Sample>> samples_;  // decoded already
};

class VectorSeriesSet : public SeriesSet {
 public:
  VectorSeriesSet(std::vector<std::unique_ptr<MergedSeries>> series, absl::Status status,
                  std::vector<std::string> warnings)
      : series_(std::move(series)), status_(std::move(status)), warnings_(std::move(warnings)) {}
  bool Next() override { return status_.ok() && ++i_ < series_.size(); }
  const Series& At() const override { return *series_[i_]; }
  Labels TakeLabels() override { return series_[i_]->TakeLabels(); }
  absl::Status status() const override { return status_; }
  std::vector<std::string> warnings() const override { return warnings_; }

 private:
  std::vector<std::unique_ptr<MergedSeries>> series_;
  size_t i_ = SIZE_MAX;
  absl::Status status_;
  std::vector<std::string> warnings_;
};

// Per-node RPC outcome and latency of every fan-out (select's self-monitoring).
struct NodeMetrics {
  CounterFamily& errors = DefaultRegistry().AddCounterFamily(
      "strata_select_storage_errors_total", "Failed fan-out RPCs to storage nodes.", {"node", "code"});
  HistogramFamily& latency = DefaultRegistry().AddHistogramFamily(
      "strata_select_storage_duration_seconds", "Fan-out RPC latency per storage node.", {"node"},
      LatencyBuckets());
};
NodeMetrics& Metrics() {
  static NodeMetrics* m = new NodeMetrics();
  return *m;
}

// Runs fn(node_index) for every node in parallel, the first on the calling thread;
// returns per-node status.
template <typename Fn>
std::vector<absl::Status> ForEachNode(const StorageNodes::View& view, Fn fn) {
  const size_t n = view.nodes.size();
  std::vector<absl::Status> out(n);
  std::atomic<size_t> next{0};
  const std::function<void()> work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      auto start = std::chrono::steady_clock::now();
      out[i] = fn(i);
      const std::string& node = view.nodes[i]->address();
      Metrics().latency.WithLabels({node}).Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!out[i].ok()) Metrics().errors.WithLabels({node, absl::StatusCodeToString(out[i].code())}).Inc();
    }
  };
  ThreadCache::Shared().RunWithHelpers(n > 0 ? n - 1 : 0, work, work);
  return out;
}

// A series as one node sent it. `key` is its labels flattened as name \0 value \0
// ...: while no value holds a NUL byte, byte order of keys is Labels order, and one
// memcmp is far cheaper than Labels::Compare's string-by-string walk (which was a
// quarter of a 100k-series query's CPU when merging).
struct DecodedBatch;
struct DecodedSeries {
  Labels labels;
  const SearchSeriesView* blocks;  // in batch->message
  const DecodedBatch* batch;
  std::string key;
  bool surely_has_samples;  // SurelyHasSamples(*blocks, ...)
};

// One Search answer message with its series' labels decoded (their samples are
// decoded when read, see EncodedSeries).
struct DecodedBatch {
  absl::Status status;
  std::shared_ptr<const AnswerMessage> message;
  bool nul_in_values = false;  // some key does not order like its labels
  std::vector<DecodedSeries> series;
};

absl::Status DecodeSearchResponse(const AnswerMessage& resp, int64_t mint, int64_t maxt, DecodedBatch* out) {
  out->series.reserve(resp.series.size());
  for (const SearchSeriesView& s : resp.series) {
    absl::StatusOr<Labels> ls = LabelsOfSeriesView(s);
    if (!ls.ok()) return absl::DataLossError("storage node sent invalid labels");
    std::string key;
    for (const Label& l : *ls) {
      if (l.value.find('\0') != std::string::npos) out->nul_in_values = true;
      key.append(l.name).push_back('\0');
      key.append(l.value).push_back('\0');
    }
    out->series.push_back(DecodedSeries{*std::move(ls), &s, out, std::move(key), SurelyHasSamples(s, mint, maxt)});
  }
  // Sorted here, in parallel with the other batches; the merge joins sorted runs.
  if (!out->nul_in_values) {
    std::sort(out->series.begin(), out->series.end(),
              [](const DecodedSeries& a, const DecodedSeries& b) { return a.key < b.key; });
  }
  return absl::OkStatus();
}

// Threads decoding answer messages for every query of the process.
ThreadPool& DecodePool() {
  static ThreadPool* pool = new ThreadPool(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  return *pool;
}

// The answer messages of one Select, each decoded by whoever claims it first: a
// decode pool thread, or the query's own thread once every stream has ended (a
// pool thread can take milliseconds to be scheduled). Shared with the pool tasks,
// which may start after the Select has returned; they then find their message
// claimed and do nothing.
class DecodeQueue {
 public:
  struct Message {
    grpc::ByteBuffer received;  // read into `batch.message` when decoded
    DecodedBatch batch;
    bool claimed = false;  // guarded by DecodeQueue::mu_
  };

  // Queues `m` for the decode pool.
  static void Submit(const std::shared_ptr<DecodeQueue>& q, std::shared_ptr<Message> m, int64_t mint, int64_t maxt) {
    DecodePool().Submit([q, m = std::move(m), mint, maxt] {
      {
        std::lock_guard<std::mutex> l(q->mu_);
        if (m->claimed) return;
        m->claimed = true;
        ++q->running_;
      }
      Decode(*m, mint, maxt);
      std::lock_guard<std::mutex> l(q->mu_);
      if (--q->running_ == 0) q->cv_.notify_all();
    });
  }

  // Helps decode the messages of `all` no pool thread has claimed, one at a time
  // (so the pool goes on taking the others), then waits for those that pool
  // threads are decoding.
  void Finish(const std::vector<std::vector<std::shared_ptr<Message>>>& all, int64_t mint, int64_t maxt) {
    for (const auto& node : all) {
      for (const auto& m : node) {
        {
          std::lock_guard<std::mutex> l(mu_);
          if (m->claimed) continue;
          m->claimed = true;
        }
        Decode(*m, mint, maxt);
      }
    }
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return running_ == 0; });
  }

 private:
  static void Decode(Message& m, int64_t mint, int64_t maxt) {
    auto message = std::make_shared<AnswerMessage>();
    m.batch.status = ReadAnswer(&m.received, message.get());
    if (m.batch.status.ok()) m.batch.status = DecodeSearchResponse(*message, mint, maxt, &m.batch);
    m.batch.message = std::move(message);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;  // messages being decoded by pool threads
};

}  // namespace

class ClusterQuerier : public Querier {
 public:
  ClusterQuerier(const ClusterQueryable* q, int64_t mint, int64_t maxt) : q_(q), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints, const Matchers& matchers) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers& matchers) override;

  absl::Status JudgeNodes(const StorageNodes::View& view, const std::vector<absl::Status>& st,
                          std::vector<std::string>* warnings) {
    return Judge(view, st, warnings);
  }

 private:
  template <typename Req, typename Resp, typename Rpc, typename List>
  absl::StatusOr<std::vector<std::string>> UnionOverNodes(Req& req, Rpc rpc, List list);

  // Applies the partial-answer rule to per-node results. Returns the error to fail
  // with (deny_partial), else OK and the warnings to attach.
  absl::Status Judge(const StorageNodes::View& view, const std::vector<absl::Status>& st,
                     std::vector<std::string>* warnings);
  std::chrono::system_clock::time_point Deadline() const {
    return std::chrono::system_clock::now() + q_->opts_.node_timeout;
  }

  const ClusterQueryable* q_;
  int64_t mint_, maxt_;
};

absl::Status ClusterQuerier::Judge(const StorageNodes::View& view, const std::vector<absl::Status>& st,
                                   std::vector<std::string>* warnings) {
  std::vector<std::string> failed;
  absl::Status first_bad;
  for (size_t i = 0; i < st.size(); ++i) {
    if (st[i].ok()) continue;
    // Errors of the request itself (bad regex, too many series) are not node failures.
    if (st[i].code() == absl::StatusCode::kInvalidArgument || st[i].code() == absl::StatusCode::kResourceExhausted) {
      return st[i];
    }
    failed.push_back(absl::StrCat("storage node ", view.nodes[i]->address(), ": ", st[i].message()));
    if (st[i].code() == absl::StatusCode::kUnavailable || st[i].code() == absl::StatusCode::kDeadlineExceeded) {
      view.nodes[i]->ReportFailure();
    }
  }
  if (failed.size() < std::max<size_t>(1, q_->opts_.replication_factor) || failed.empty()) return absl::OkStatus();
  if (failed.size() == st.size() || q_->opts_.deny_partial) {
    return absl::UnavailableError(absl::StrCat(failed.size(), " of ", st.size(),
                                               " storage nodes failed, the answer would be partial: ", failed[0]));
  }
  std::lock_guard<std::mutex> l(q_->state_->mu);
  q_->state_->report.partial = true;
  for (auto& f : failed) {
    warnings->push_back(f);
    q_->state_->report.warnings.push_back(f);
  }
  return absl::OkStatus();
}

std::unique_ptr<SeriesSet> ClusterQuerier::Select(bool sorted, const SelectHints* hints, const Matchers& matchers) {
  auto view = q_->nodes_->Current();
  int64_t mint = mint_, maxt = maxt_;
  if (hints != nullptr) {
    mint = std::max(mint, hints->start);
    maxt = std::min(maxt, hints->end);
  }
  storage::v1::SearchRequest req;
  req.set_account_id(q_->tenant_.account_id);
  req.set_project_id(q_->tenant_.project_id);
  MatchersToProto(matchers, req.mutable_matchers());
  req.set_min_time_ms(mint);
  req.set_max_time_ms(maxt);
  req.set_max_series(q_->opts_.max_series);
  req.set_accept_label_entries(true);
  req.set_accept_packed_samples(true);
  // Only the samples an instant selector reads. Not with --dedup-interval: which
  // sample a bucket keeps depends on the samples around it.
  if (hints != nullptr && hints->instant_refs.count > 0 && q_->opts_.dedup_interval_ms <= 0) {
    storage::v1::RefGrid* g = req.mutable_instant_refs();
    g->set_first_ms(hints->instant_refs.first);
    g->set_step_ms(hints->instant_refs.step);
    g->set_count(hints->instant_refs.count);
  }

  // Each answer message is decoded on the decode pool while the node's thread goes
  // on reading (one thread parsing and decoding everything was most of a large
  // query's fan-out time); what the pool has not started when the streams end is
  // decoded on this thread. Batches keep their arrival order per node.
  std::vector<std::vector<std::shared_ptr<DecodeQueue::Message>>> per_node(view->nodes.size());
  auto decode = std::make_shared<DecodeQueue>();
  const grpc::ByteBuffer request = SearchRequestBytes(req);
  std::vector<absl::Status> st = ForEachNode(*view, [&](size_t i) -> absl::Status {
    absl::Status s = view->nodes[i]->Search(req, request, Deadline(), [&](grpc::ByteBuffer&& m) {
      auto msg = std::make_shared<DecodeQueue::Message>();
      msg->received = std::move(m);
      per_node[i].push_back(msg);
      DecodeQueue::Submit(decode, std::move(msg), mint, maxt);
    });
    if (s.code() == absl::StatusCode::kResourceExhausted) {
      return absl::ResourceExhaustedError(absl::StrCat(s.message(), " (raise --search-max-series)"));
    }
    return s;
  });
  decode->Finish(per_node, mint, maxt);
  for (size_t i = 0; i < per_node.size(); ++i) {
    for (const auto& m : per_node[i]) {
      if (st[i].ok() && !m->batch.status.ok()) st[i] = m->batch.status;
    }
  }
  std::vector<std::string> warnings;
  absl::Status judged = Judge(*view, st, &warnings);
  if (!judged.ok()) return std::make_unique<VectorSeriesSet>(std::vector<std::unique_ptr<MergedSeries>>{}, judged, warnings);

  // Merge by labels: sort every node's series together, then join equal neighbours
  // (the copies of one series from its replicas).
  std::vector<DecodedSeries*> all;
  std::vector<size_t> runs;  // where each batch's (sorted) series start in `all`
  bool by_key = true;
  for (size_t i = 0; i < per_node.size(); ++i) {
    // A node that failed part-way still contributes what it sent (Judge decided
    // whether the answer is complete).
    for (auto& m : per_node[i]) {
      DecodedBatch* batch = &m->batch;
      if (batch->nul_in_values) by_key = false;
      runs.push_back(all.size());
      for (DecodedSeries& d : batch->series) all.push_back(&d);
    }
  }
  if (by_key) {
    MergeSortedRuns(&all, std::move(runs),
                    [](const DecodedSeries* a, const DecodedSeries* b) { return a->key < b->key; });
  } else {
    std::sort(all.begin(), all.end(),
              [](const DecodedSeries* a, const DecodedSeries* b) { return a->labels < b->labels; });
  }
  // Equal neighbours become one series. In pieces that start at a new series, on
  // this thread and a helper: 100 000 series took ~20 ms on one.
  auto same = [&](size_t a, size_t b) {
    return by_key ? all[a]->key == all[b]->key : all[a]->labels == all[b]->labels;
  };
  constexpr size_t kPiece = 16384;
  const size_t parts = std::max<size_t>(1, all.size() / kPiece);
  std::vector<size_t> starts = {0};
  for (size_t p = 1; p < parts; ++p) {
    size_t k = std::max(all.size() * p / parts, starts.back());
    while (k < all.size() && same(k, k - 1)) ++k;
    if (k < all.size() && k > starts.back()) starts.push_back(k);
  }
  struct Piece {
    std::vector<std::unique_ptr<MergedSeries>> out;
    size_t distinct = 0;
    absl::Status status;
  };
  std::vector<Piece> pieces(starts.size());
  std::atomic<size_t> next_piece{0};
  const std::function<void()> join = [&] {
    for (size_t p; (p = next_piece.fetch_add(1)) < pieces.size();) {
      Piece& piece = pieces[p];
      const size_t end = p + 1 < starts.size() ? starts[p + 1] : all.size();
      std::vector<Sample> decoded;
      for (size_t k = starts[p]; k < end;) {
        size_t e = k + 1;
        while (e < end && same(e, k)) ++e;
        ++piece.distinct;
        auto enc = std::make_shared<EncodedSeries>();
        enc->mint = mint;
        enc->maxt = maxt;
        enc->dedup_interval_ms = q_->opts_.dedup_interval_ms;
        bool surely = false;
        for (size_t r = k; r < e; ++r) {
          enc->parts.push_back({all[r]->batch->message, all[r]->blocks});
          surely = surely || all[r]->surely_has_samples;
        }
        if (surely) {
          piece.out.push_back(std::make_unique<MergedSeries>(std::move(all[k]->labels), std::move(enc)));
        } else {
          // Every block straddles the range (or is empty): decode now to know
          // whether any sample is in it, as a series without one is not returned.
          piece.status = enc->Decode(&decoded);
          if (!piece.status.ok()) break;
          if (!decoded.empty()) {
            piece.out.push_back(std::make_unique<MergedSeries>(std::move(all[k]->labels), std::exchange(decoded, {})));
          }
        }
        k = e;
      }
    }
  };
  ThreadCache::Shared().RunWithHelpers(pieces.size() > 1 ? 1 : 0, join, join);
  std::vector<std::unique_ptr<MergedSeries>> out;
  out.reserve(all.size());
  size_t distinct = 0;
  for (Piece& piece : pieces) {
    if (!piece.status.ok()) {
      return std::make_unique<VectorSeriesSet>(std::vector<std::unique_ptr<MergedSeries>>{}, piece.status, warnings);
    }
    distinct += piece.distinct;
    for (auto& m : piece.out) out.push_back(std::move(m));
  }
  if (q_->opts_.max_series > 0 && distinct > q_->opts_.max_series) {
    return std::make_unique<VectorSeriesSet>(
        std::vector<std::unique_ptr<MergedSeries>>{},
        absl::ResourceExhaustedError(absl::StrCat("the query selects ", distinct, " series, above the limit of ",
                                                  q_->opts_.max_series, " (raise --search-max-series)")),
        warnings);
  }
  (void)sorted;  // always sorted by labels
  return std::make_unique<VectorSeriesSet>(std::move(out), absl::OkStatus(), std::move(warnings));
}

// Fans a label RPC out to every node and returns the sorted union of the string
// lists it answered (`Rpc` is the stub method, `list` picks the repeated field).
template <typename Req, typename Resp, typename Rpc, typename List>
absl::StatusOr<std::vector<std::string>> ClusterQuerier::UnionOverNodes(Req& req, Rpc rpc, List list) {
  auto view = q_->nodes_->Current();
  req.set_account_id(q_->tenant_.account_id);
  req.set_project_id(q_->tenant_.project_id);
  req.set_min_time_ms(mint_);
  req.set_max_time_ms(maxt_);
  std::vector<std::vector<std::string>> per_node(view->nodes.size());
  auto st = ForEachNode(*view, [&](size_t i) -> absl::Status {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    Resp resp;
    absl::Status s = FromGrpcStatus((view->nodes[i]->stub()->*rpc)(&ctx, req, &resp));
    const auto& field = list(resp);
    per_node[i].assign(field.begin(), field.end());
    return s;
  });
  std::vector<std::string> warnings;
  STRATA_RETURN_IF_ERROR(Judge(*view, st, &warnings));
  std::vector<std::string> out;
  for (auto& v : per_node) out.insert(out.end(), v.begin(), v.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> ClusterQuerier::LabelValues(const std::string& name,
                                                                     const Matchers& matchers) {
  storage::v1::LabelValuesRequest req;
  req.set_name(name);
  MatchersToProto(matchers, req.mutable_matchers());
  return UnionOverNodes<storage::v1::LabelValuesRequest, storage::v1::LabelValuesResponse>(
      req, &storage::v1::Storage::Stub::LabelValues,
      [](const storage::v1::LabelValuesResponse& r) -> const auto& { return r.values(); });
}

absl::StatusOr<std::vector<std::string>> ClusterQuerier::LabelNames(const Matchers& matchers) {
  storage::v1::LabelNamesRequest req;
  MatchersToProto(matchers, req.mutable_matchers());
  return UnionOverNodes<storage::v1::LabelNamesRequest, storage::v1::LabelNamesResponse>(
      req, &storage::v1::Storage::Stub::LabelNames,
      [](const storage::v1::LabelNamesResponse& r) -> const auto& { return r.names(); });
}

ClusterQueryable::ClusterQueryable(StorageNodes* nodes, Tenant tenant, FanoutOptions opts)
    : nodes_(nodes), tenant_(tenant), opts_(opts), state_(std::make_shared<FanoutState>()) {}

absl::StatusOr<std::unique_ptr<Querier>> ClusterQueryable::NewQuerier(int64_t mint, int64_t maxt) const {
  return std::unique_ptr<Querier>(new ClusterQuerier(this, mint, maxt));
}

absl::StatusOr<std::vector<Labels>> ClusterQueryable::SeriesLabels(const Matchers& ms, int64_t mint,
                                                                   int64_t maxt) const {
  auto view = nodes_->Current();
  storage::v1::SearchRequest req;
  req.set_account_id(tenant_.account_id);
  req.set_project_id(tenant_.project_id);
  MatchersToProto(ms, req.mutable_matchers());
  req.set_min_time_ms(mint);
  req.set_max_time_ms(maxt);
  req.set_labels_only(true);
  req.set_max_series(opts_.max_series);
  req.set_accept_label_entries(true);
  std::vector<std::vector<Labels>> per_node(view->nodes.size());
  const grpc::ByteBuffer request = SearchRequestBytes(req);
  auto st = ForEachNode(*view, [&](size_t i) -> absl::Status {
    absl::Status unreadable;
    absl::Status s = view->nodes[i]->Search(
        req, request, std::chrono::system_clock::now() + opts_.node_timeout, [&](grpc::ByteBuffer&& m) {
          AnswerMessage answer;
          if (absl::Status r = ReadAnswer(&m, &answer); !r.ok()) {
            unreadable.Update(r);
            return;
          }
          for (const SearchSeriesView& series : answer.series) {
            absl::StatusOr<Labels> ls = LabelsOfSeriesView(series);
            if (ls.ok()) per_node[i].push_back(*std::move(ls));
          }
        });
    return s.ok() ? unreadable : s;
  });
  ClusterQuerier judge(this, mint, maxt);
  std::vector<std::string> warnings;
  STRATA_RETURN_IF_ERROR(judge.JudgeNodes(*view, st, &warnings));
  std::vector<Labels> out;
  for (auto& v : per_node) out.insert(out.end(), v.begin(), v.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<uint64_t> ClusterQueryable::DeleteSeries(const Matchers& ms) const {
  auto view = nodes_->Current();
  storage::v1::DeleteRequest req;
  req.set_account_id(tenant_.account_id);
  req.set_project_id(tenant_.project_id);
  MatchersToProto(ms, req.mutable_matchers());
  std::vector<uint64_t> deleted(view->nodes.size());
  auto st = ForEachNode(*view, [&](size_t i) -> absl::Status {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + opts_.node_timeout);
    storage::v1::DeleteResponse resp;
    absl::Status s = FromGrpcStatus(view->nodes[i]->stub()->Delete(&ctx, req, &resp));
    deleted[i] = resp.deleted_series();
    return s;
  });
  uint64_t total = 0;
  for (size_t i = 0; i < st.size(); ++i) {
    if (!st[i].ok()) {
      return absl::Status(st[i].code(), absl::StrCat("delete on storage node ", view->nodes[i]->address(),
                                                     " failed: ", st[i].message()));
    }
    total += deleted[i];
  }
  return total;
}

namespace {

// Merges per-node name counts: sum / divisor (rounded up, so a series that is
// anywhere counts at least once), then the `top` largest.
ClusterTsdbStatus::NameCounts MergeCounts(
    const std::vector<const google::protobuf::RepeatedPtrField<storage::v1::NameCount>*>& lists, size_t divisor,
    size_t top) {
  std::map<std::string, uint64_t> acc;
  for (const auto* l : lists) {
    for (const auto& nc : *l) {
      uint64_t& v = acc[nc.name()];
      v += nc.count();
    }
  }
  ClusterTsdbStatus::NameCounts out;
  out.reserve(acc.size());
  for (auto& [name, n] : acc) out.emplace_back(name, (n + divisor - 1) / divisor);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > top) out.resize(top);
  return out;
}

}  // namespace

absl::StatusOr<ClusterTsdbStatus> ClusterQueryable::TsdbStatus(const Matchers& ms, int64_t mint, int64_t maxt,
                                                               size_t top_n) const {
  if (top_n == 0) top_n = 10;
  auto view = nodes_->Current();
  storage::v1::TSDBStatusRequest req;
  req.set_account_id(tenant_.account_id);
  req.set_project_id(tenant_.project_id);
  req.set_min_time_ms(mint);
  req.set_max_time_ms(maxt);
  req.set_top_n(static_cast<uint32_t>(std::min<size_t>(top_n * 2, UINT32_MAX)));
  MatchersToProto(ms, req.mutable_matchers());
  std::vector<storage::v1::TSDBStatusResponse> per_node(view->nodes.size());
  std::vector<storage::v1::NodeInfoResponse> info(view->nodes.size());
  auto st = ForEachNode(*view, [&](size_t i) -> absl::Status {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + opts_.node_timeout);
    STRATA_RETURN_IF_ERROR(FromGrpcStatus(view->nodes[i]->stub()->TSDBStatus(&ctx, req, &per_node[i])));
    grpc::ClientContext info_ctx;
    info_ctx.set_deadline(std::chrono::system_clock::now() + opts_.node_timeout);
    // The time span is decoration: a node that cannot say keeps its counts.
    (void)view->nodes[i]->stub()->NodeInfo(&info_ctx, storage::v1::NodeInfoRequest(), &info[i]);
    return absl::OkStatus();
  });
  ClusterQuerier judge(this, mint, maxt);
  std::vector<std::string> warnings;
  STRATA_RETURN_IF_ERROR(judge.JudgeNodes(*view, st, &warnings));

  const size_t copies = std::max<size_t>(1, std::min(opts_.replication_factor, view->nodes.size()));
  ClusterTsdbStatus out;
  std::vector<const google::protobuf::RepeatedPtrField<storage::v1::NameCount>*> by_metric, by_values, by_pair,
      by_name;
  uint64_t series = 0, pairs = 0;
  for (size_t i = 0; i < per_node.size(); ++i) {
    if (!st[i].ok()) continue;
    const auto& r = per_node[i];
    series += r.total_series();
    pairs = std::max<uint64_t>(pairs, r.total_label_value_pairs());
    by_metric.push_back(&r.series_count_by_metric_name());
    by_values.push_back(&r.label_value_count_by_label_name());
    by_pair.push_back(&r.series_count_by_label_value_pair());
    by_name.push_back(&r.series_count_by_label_name());
    for (const auto& p : info[i].partitions()) {
      if (out.min_time_ms == 0 || p.min_time_ms() < out.min_time_ms) out.min_time_ms = p.min_time_ms();
      out.max_time_ms = std::max(out.max_time_ms, p.max_time_ms());
    }
  }
  out.num_series = (series + copies - 1) / copies;
  out.num_label_pairs = pairs;
  out.series_count_by_metric_name = MergeCounts(by_metric, copies, top_n);
  // Distinct values do not add up across nodes: count them exactly, with one
  // LabelValues fan-out per candidate name (the union of the nodes' top lists).
  std::set<std::string> candidates;
  for (const auto* l : by_values) {
    for (const auto& nc : *l) candidates.insert(nc.name());
  }
  std::map<std::string, uint64_t> distinct;
  for (const std::string& name : candidates) {
    absl::StatusOr<std::vector<std::string>> values = judge.LabelValues(name, ms);
    if (!values.ok()) return values.status();
    distinct[name] = values->size();
  }
  out.label_value_count_by_label_name.assign(distinct.begin(), distinct.end());
  std::stable_sort(out.label_value_count_by_label_name.begin(), out.label_value_count_by_label_name.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.label_value_count_by_label_name.size() > top_n) out.label_value_count_by_label_name.resize(top_n);
  out.series_count_by_label_value_pair = MergeCounts(by_pair, copies, top_n);
  out.series_count_by_label_name = MergeCounts(by_name, copies, top_n);
  return out;
}

FanoutReport ClusterQueryable::report() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->report;
}

}  // namespace strata
