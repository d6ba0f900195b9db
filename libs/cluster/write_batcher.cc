#include "libs/cluster/write_batcher.h"

#include <algorithm>

#include "libs/rpc/grpc_status.h"
#include "libs/rpc/zstd_frame.h"
#include "spdlog/spdlog.h"

namespace strata {

namespace {
// The known-series set's key: a hint only (the node checks each reference), so a
// rare collision of two series costs one refused call, never a wrong row.
uint64_t KnownKey(const RowPiece& p) { return p.sid ^ (p.tenant * 0x9e3779b97f4a7c15ull); }
}  // namespace

struct WriteBatcher::Call {
  std::vector<Fragment> fragments;
  bool counted = false;  // holds one of the max_inflight slots
  bool refs = false;     // some row went by reference
  bool probe = false;    // a full resend of a call with references the node called invalid
  std::vector<uint64_t> learn;  // KnownKey of the rows sent in full that may go by reference later
  grpc::ClientContext ctx;
  storage::v1::WriteStreamRequest batch;  // the body, for a WriteStream or a Write call
  storage::v1::CompressedWriteRequest packed;
  storage::v1::WriteRequest plain;
  storage::v1::WriteResponse resp;
  std::chrono::steady_clock::time_point start;
};

WriteBatcher::WriteBatcher(std::shared_ptr<StorageNode> node, WriteBatcherOptions opts)
    : node_(std::move(node)), opts_(opts) {
  if (opts_.max_inflight == 0) opts_.max_inflight = 1;
  thread_ = std::thread([this] { TimerLoop(); });
}

WriteBatcher::~WriteBatcher() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

WriteBatcher::Stats WriteBatcher::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void WriteBatcher::Submit(const std::vector<std::string_view>& pieces, uint32_t rows, Done done) {
  std::vector<RowPiece> full;
  full.reserve(pieces.size());
  for (std::string_view p : pieces) full.push_back(RowPiece{p});
  Submit(std::move(full), rows, std::move(done));
}

void WriteBatcher::Submit(std::vector<RowPiece> pieces, uint32_t rows, Done done) {
  const auto now = std::chrono::steady_clock::now();
  Fragment f{std::move(pieces), rows, 0, std::move(done), now};
  for (const RowPiece& p : f.pieces) f.bytes += p.bytes.size();
  std::vector<std::vector<Fragment>> batches;
  bool wake_timer = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    queued_bytes_ += f.bytes;
    queued_rows_ += f.rows;
    queue_.push_back(std::move(f));
    last_submit_ = now;
    TakeReadyLocked(now, &batches);
    wake_timer = !queue_.empty() && timer_idle_;
  }
  if (wake_timer) cv_.notify_all();
  for (auto& b : batches) Send(std::move(b), /*counted=*/true);
}

void WriteBatcher::TakeReadyLocked(std::chrono::steady_clock::time_point now, std::vector<std::vector<Fragment>>* out) {
  while (!queue_.empty()) {
    const bool ready = stopping_ || inflight_ < opts_.max_inflight || queued_bytes_ >= opts_.max_batch_bytes ||
                       queued_rows_ >= opts_.max_batch_rows || now >= queue_.front().queued + opts_.max_delay;
    if (!ready) return;
    std::vector<Fragment> batch;
    size_t bytes = 0, rows = 0;
    while (!queue_.empty()) {
      Fragment& f = queue_.front();
      if (!batch.empty() && (bytes + f.bytes > opts_.max_batch_bytes || rows + f.rows > opts_.max_batch_rows)) break;
      bytes += f.bytes;
      rows += f.rows;
      batch.push_back(std::move(f));
      queue_.pop_front();
    }
    queued_bytes_ -= bytes;
    queued_rows_ -= rows;
    ++inflight_;
    out->push_back(std::move(batch));
  }
}

void WriteBatcher::TimerLoop() {
  // Polls every max_delay while fragments arrived in the last second, so a busy
  // batcher costs this thread a few hundred wake-ups a second rather than one per
  // fragment; sleeps until the next Submit after that.
  constexpr auto kActive = std::chrono::seconds(1);
  const auto period = std::max<std::chrono::steady_clock::duration>(opts_.max_delay, std::chrono::microseconds(100));
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<std::vector<Fragment>> batches;
    TakeReadyLocked(now, &batches);
    if (!batches.empty()) {
      l.unlock();
      for (auto& b : batches) Send(std::move(b), /*counted=*/true);
      l.lock();
      continue;
    }
    if (!queue_.empty()) {
      cv_.wait_until(l, queue_.front().queued + opts_.max_delay);
    } else if (now - last_submit_ < kActive) {
      cv_.wait_for(l, period);
    } else {
      timer_idle_ = true;
      cv_.wait(l);
      timer_idle_ = false;
    }
  }
  // Stopping: everything queued goes out now, then wait for every call.
  std::vector<std::vector<Fragment>> batches;
  TakeReadyLocked(std::chrono::steady_clock::now(), &batches);
  l.unlock();
  for (auto& b : batches) Send(std::move(b), /*counted=*/true);
  l.lock();
  cv_.wait(l, [this] { return inflight_ == 0 && outstanding_ == 0; });
}

void WriteBatcher::Send(std::vector<Fragment> fragments, bool counted, bool full, bool probe) {
  auto* call = new Call;
  call->fragments = std::move(fragments);
  call->counted = counted;
  call->probe = probe;
  // One buffer per sending thread, reused: the batch is a WriteRequest once its
  // fragments' series entries are put side by side.
  thread_local std::string raw;
  raw.clear();
  uint64_t ref_rows = 0;
  if (opts_.series_refs && !refs_unsupported_.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> l(known_mu_);
    for (const Fragment& f : call->fragments) {
      for (size_t j = 0; j < f.pieces.size(); ++j) {
        const RowPiece& p = f.pieces[j];
        // The set is larger than the caches: fetch ahead, so the misses overlap.
        if (!full && j + 8 < f.pieces.size()) known_.prefetch(KnownKey(f.pieces[j + 8]));
        if (p.ref.empty()) {
          raw.append(p.bytes);
        } else if (!full && known_.contains(KnownKey(p))) {
          raw.append(p.ref);
          ++ref_rows;
        } else {
          raw.append(p.bytes);
          call->learn.push_back(KnownKey(p));
        }
      }
    }
  } else {
    for (const Fragment& f : call->fragments) {
      for (const RowPiece& p : f.pieces) raw.append(p.bytes);
    }
  }
  call->refs = ref_rows > 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++outstanding_;
    ++stats_.calls;
    stats_.fragments += call->fragments.size();
    stats_.ref_rows += ref_rows;
  }
  call->start = std::chrono::steady_clock::now();
  if (node_->compress()) {
    ZstdCompress(raw, node_->compression_level(), call->batch.mutable_zstd_write_request());
  } else {
    call->batch.set_write_request(raw);
  }
  const auto deadline = std::chrono::system_clock::now() + opts_.timeout;
  if (WriteStreams* streams = node_->write_streams()) {
    streams->Write(&call->batch, &call->resp, deadline, [this, call, deadline](absl::Status s) {
      if (s.code() == absl::StatusCode::kUnimplemented) {
        // A node older than WriteStream ended the call before reading the batch.
        node_->WriteStreamsUnsupported();
        SendCall(call, deadline);
        return;
      }
      Finish(call, s);
    });
    return;
  }
  SendCall(call, deadline);
}

void WriteBatcher::SendCall(Call* call, std::chrono::system_clock::time_point deadline) {
  call->ctx.set_deadline(deadline);
  auto on_done = [this, call](grpc::Status s) { Finish(call, FromGrpcStatus(s)); };
  if (!call->batch.zstd_write_request().empty()) {
    call->packed.mutable_zstd_write_request()->swap(*call->batch.mutable_zstd_write_request());
    node_->stub()->async()->WriteCompressed(&call->ctx, &call->packed, &call->resp, std::move(on_done));
  } else if (call->plain.ParseFromString(call->batch.write_request())) {
    node_->stub()->async()->Write(&call->ctx, &call->plain, &call->resp, std::move(on_done));
  } else {
    Finish(call, absl::InternalError("insert built a WriteRequest it cannot parse back"));
  }
}

void WriteBatcher::Finish(Call* call, const absl::Status& status) {
  std::unique_ptr<Call> owned(call);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call->start).count();
  std::vector<Fragment>& frags = call->fragments;
  if (status.code() == absl::StatusCode::kFailedPrecondition && call->refs) {
    // The node does not hold a series sent by reference and stored nothing: it
    // forgot (restart, delete). Forget what it was thought to hold and resend all.
    {
      std::lock_guard<std::mutex> l(known_mu_);
      known_.clear();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.refused_calls;
    }
    Send(std::move(frags), /*counted=*/false, /*full=*/true);
  } else if (status.code() == absl::StatusCode::kInvalidArgument && call->refs) {
    // A node older than reference rows reads one as a row without labels. Resend in
    // full: if that is accepted, the node gets full rows from now on; if not, a row
    // is really invalid and the full call finds out whose (below).
    Send(std::move(frags), /*counted=*/false, /*full=*/true, /*probe=*/true);
  } else if (status.code() == absl::StatusCode::kInvalidArgument && frags.size() > 1) {
    // The node refused the whole batch for some row: find out whose, one at a time.
    for (Fragment& f : frags) {
      std::vector<Fragment> alone;
      alone.push_back(std::move(f));
      Send(std::move(alone), /*counted=*/false);
    }
  } else {
    std::vector<uint64_t> rejected(frags.size(), 0);
    if (status.ok() && call->resp.rejected_size() > 0) {
      std::vector<uint64_t> first_row(frags.size());  // row index of each fragment's first row
      uint64_t next = 0;
      for (size_t k = 0; k < frags.size(); ++k) {
        first_row[k] = next;
        next += frags[k].rows;
      }
      for (const auto& r : call->resp.rejected()) {
        size_t k = std::upper_bound(first_row.begin(), first_row.end(), uint64_t{r.row()}) - first_row.begin() - 1;
        rejected[k] += r.samples();
      }
    }
    if (status.ok() && call->probe && !refs_unsupported_.exchange(true)) {
      spdlog::warn("storage node {} refused rows by series id as invalid but took them in full: it predates "
                   "them, so it gets full rows from now on (upgrade it, or run insert with "
                   "--storage-series-refs=false)",
                   node_->address());
    }
    if (status.ok() && !call->learn.empty()) {
      std::lock_guard<std::mutex> l(known_mu_);
      if (known_.size() + call->learn.size() > opts_.max_known_series) known_.clear();
      known_.insert(call->learn.begin(), call->learn.end());
    }
    for (size_t k = 0; k < frags.size(); ++k) frags[k].done(WriteResult{status, rejected[k], seconds});
  }
  std::vector<std::vector<Fragment>> batches;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (call->counted) --inflight_;
    --outstanding_;
    // The freed slot carries what queued meanwhile, from this (gRPC) thread.
    TakeReadyLocked(std::chrono::steady_clock::now(), &batches);
    if (stopping_ || timer_idle_) cv_.notify_all();
  }
  for (auto& b : batches) Send(std::move(b), /*counted=*/true);
}

}  // namespace strata
