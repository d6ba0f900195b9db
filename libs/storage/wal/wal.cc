#include "libs/storage/wal/wal.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/absl_compat.h"
#include "libs/common/status_util.h"
#include "libs/storage/wal/env.h"
#include "libs/storage/wal/record_format.h"
#include "libs/storage/wal/segment_reader.h"
#include "spdlog/spdlog.h"

namespace strata::wal {

absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text) {
  if (text == "always") return FsyncPolicy::kAlways;
  if (text == "interval") return FsyncPolicy::kInterval;
  if (text == "never") return FsyncPolicy::kNever;
  return absl::InvalidArgumentError(absl::StrCat("unknown WAL fsync policy \"", Sv(text),
                                                 "\" (want always, interval or never)"));
}

std::string_view FsyncPolicyName(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "unknown";
}

std::string PositionToString(Position pos) { return absl::StrCat(pos.segment, ":", pos.offset); }

namespace {

// One queued operation. Every operation that touches the active file goes
// through the queue, so only the thread at its front (the leader) does file IO.
struct Request {
  enum class Kind { kAppend, kRotate, kSync, kClose };
  Kind kind = Kind::kAppend;
  std::string_view record;
  Position pos;
  absl::Status status;
  bool done = false;
  // Signalled when the request is done or has become the leader.
  std::condition_variable cv;
};

struct AtomicStats {
  std::atomic<uint64_t> records_appended{0}, payload_bytes{0}, bytes_written{0}, batches{0},
      fsyncs{0}, segments_created{0}, segments_deleted{0}, torn_tails_truncated{0},
      torn_bytes_dropped{0}, corruptions{0};
};

void Add(std::atomic<uint64_t>& c, uint64_t n) { c.fetch_add(n, std::memory_order_relaxed); }

}  // namespace

class Wal::Impl {
 public:
  Impl(std::string dir, Options options)
      : dir_(std::move(dir)), options_(options), env_(options.env ? options.env : Env::Default()) {}

  ~Impl() {
    absl::Status s = Close();
    if (!s.ok()) spdlog::error("wal {}: close: {}", dir_, std::string(s.message()));
  }

  absl::Status Recover();
  absl::StatusOr<Position> Append(std::string_view record);
  absl::Status Replay(Position from, const ReplayCallback& callback);
  absl::StatusOr<Position> Rotate();
  absl::Status TruncateBefore(Position pos);
  absl::Status Sync();
  absl::Status Close();
  Position EndPosition() const {
    std::lock_guard<std::mutex> l(mu_);
    return written_end_;
  }
  Stats stats() const;

 private:
  std::string SegmentPath(uint64_t segment) const {
    return absl::StrCat(dir_, "/", SegmentFileName(segment));
  }
  absl::StatusOr<std::vector<uint64_t>> ListSegments() const;

  // Queues `r`, waits until it is done or leads, and as leader processes a group.
  absl::Status Submit(Request* r);
  // Leader-only: performs the group's file IO.
  absl::Status ProcessAppends(const std::vector<Request*>& group);
  absl::Status RollSegment();
  absl::Status SyncActive();

  void SyncLoop();

  const std::string dir_;
  const Options options_;
  Env* const env_;
  AtomicStats stats_;

  // std::mutex rather than absl::Mutex so ThreadSanitizer (which cannot see into
  // Debian's uninstrumented Abseil) checks this class.
  mutable std::mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  // Sticky: once a write or sync failed, nothing more is acknowledged.
  absl::Status bg_error_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // End of the data written to the active segment (what Replay may read).
  Position written_end_ ABSL_GUARDED_BY(mu_);
  // End of the data known durable.
  Position synced_end_ ABSL_GUARDED_BY(mu_);

  // Serializes Close() callers (it joins the syncer).
  std::condition_variable stop_cv_;  // wakes the syncer when stopping_ is set

  std::mutex close_mu_;
  absl::Status close_status_ ABSL_GUARDED_BY(close_mu_);
  std::thread syncer_;

  // Owned by the leader (the thread processing the front of queue_); no lock.
  std::unique_ptr<WritableFile> file_;
  uint64_t segment_ = 0;
  uint64_t offset_ = 0;
  uint64_t zeroed_end_ = 0;  // the active segment's length: zeros from offset_ up to here
  std::string batch_;
};

absl::StatusOr<std::vector<uint64_t>> Wal::Impl::ListSegments() const {
  auto names = env_->GetChildren(dir_);
  if (!names.ok()) return names.status();
  std::vector<uint64_t> segments;
  for (const std::string& name : *names) {
    if (auto seg = ParseSegmentFileName(name)) segments.push_back(*seg);
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

absl::Status Wal::Impl::Recover() {
  STRATA_RETURN_IF_ERROR(env_->CreateDir(dir_));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments());
  bool reuse_last = false;
  if (!segments.empty()) {
    const uint64_t last = segments.back();
    const std::string path = SegmentPath(last);
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(path));
    STRATA_ASSIGN_OR_RETURN(auto reader,
                            SegmentReader::Open(env_, path, last, SegmentReader::kNoLimit));
    SegmentReader::Record rec;
    while (reader->Next(&rec)) {
    }
    STRATA_RETURN_IF_ERROR(reader->status());
    const uint64_t valid_end = reader->valid_end();
    if (valid_end < size && reader->problem() == SegmentReader::Problem::kNone) {
      // Zeros written ahead of the appends (Options::preallocate_bytes): not damage.
      STRATA_RETURN_IF_ERROR(env_->Truncate(path, valid_end));
    } else if (valid_end < size) {
      // Only the last segment can hold an interrupted write; everything after the
      // first bad byte was never acknowledged under `always` (it was not synced).
      spdlog::warn("wal: truncating torn tail of {} at offset {}: {} bytes dropped ({})", path,
                   valid_end, size - valid_end, reader->problem_reason());
      STRATA_RETURN_IF_ERROR(env_->Truncate(path, valid_end));
      Add(stats_.torn_tails_truncated, 1);
      Add(stats_.torn_bytes_dropped, size - valid_end);
    }
    reuse_last = valid_end <= kSegmentHeaderSize;
    segment_ = reuse_last ? last - 1 : last;
  }
  STRATA_RETURN_IF_ERROR(RollSegment());
  {
    std::lock_guard<std::mutex> l(mu_);
    written_end_ = synced_end_ = Position{segment_, offset_};
  }
  if (options_.fsync_policy == FsyncPolicy::kInterval) {
    syncer_ = std::thread([this] { SyncLoop(); });
  }
  return absl::OkStatus();
}

absl::Status Wal::Impl::RollSegment() {
  const bool durable = options_.fsync_policy != FsyncPolicy::kNever;
  if (file_ != nullptr) {
    if (durable) STRATA_RETURN_IF_ERROR(SyncActive());
    absl::Status s = file_->Close();
    file_.reset();
    STRATA_RETURN_IF_ERROR(s);
    // Closed segments end at their last record (readers would skip the zeros, but
    // they are just disk space).
    if (zeroed_end_ > offset_) STRATA_RETURN_IF_ERROR(env_->Truncate(SegmentPath(segment_), offset_));
  }
  const uint64_t next = segment_ + 1;
  STRATA_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(SegmentPath(next)));
  segment_ = next;
  offset_ = 0;
  std::string header;
  AppendSegmentHeader(segment_, &header);
  STRATA_RETURN_IF_ERROR(file_->Append(header));
  Add(stats_.bytes_written, header.size());
  offset_ = zeroed_end_ = header.size();
  if (durable) {
    STRATA_RETURN_IF_ERROR(SyncActive());
    // The new file's name must survive power loss too, or acknowledged records in
    // it could vanish with it.
    STRATA_RETURN_IF_ERROR(env_->SyncDir(dir_));
  }
  Add(stats_.segments_created, 1);
  return absl::OkStatus();
}

absl::Status Wal::Impl::SyncActive() {
  STRATA_RETURN_IF_ERROR(file_->Sync());
  Add(stats_.fsyncs, 1);
  return absl::OkStatus();
}

absl::Status Wal::Impl::ProcessAppends(const std::vector<Request*>& group) {
  uint64_t bytes = 0;
  for (const Request* r : group) bytes += kRecordHeaderSize + r->record.size();
  if (file_ == nullptr) return absl::FailedPreconditionError("wal: no active segment");
  if (offset_ > kSegmentHeaderSize && offset_ + bytes > options_.segment_size) {
    STRATA_RETURN_IF_ERROR(RollSegment());
  }
  batch_.clear();
  batch_.reserve(bytes);
  for (Request* r : group) {
    r->pos = Position{segment_, offset_ + batch_.size()};
    AppendRecord(r->record, &batch_);
  }
  const uint64_t end = offset_ + batch_.size();
  if (end > zeroed_end_ && options_.preallocate_bytes > 0 && options_.fsync_policy != FsyncPolicy::kNever) {
    // Zeros past this batch, synced with it: later groups overwrite them.
    const uint64_t from = std::max(zeroed_end_, end);
    // Never past the segment size limit unless this batch itself is.
    const uint64_t to = std::max(
        end, std::min(options_.segment_size,
                      std::max(zeroed_end_ + options_.preallocate_bytes, end + options_.preallocate_bytes / 2)));
    if (to > from) STRATA_RETURN_IF_ERROR(file_->WriteZeros(from, to - from));
    zeroed_end_ = to;
  }
  STRATA_RETURN_IF_ERROR(file_->Append(batch_));
  offset_ = end;
  zeroed_end_ = std::max(zeroed_end_, end);
  Add(stats_.bytes_written, batch_.size());
  Add(stats_.batches, 1);
  if (options_.fsync_policy == FsyncPolicy::kAlways) STRATA_RETURN_IF_ERROR(SyncActive());
  return absl::OkStatus();
}

absl::Status Wal::Impl::Submit(Request* r) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("wal ", dir_, " is closed"));
  if (!bg_error_.ok() && r->kind != Request::Kind::kClose) return bg_error_;
  queue_.push_back(r);
  while (!r->done && queue_.front() != r) r->cv.wait(lock);
  if (r->done) return r->status;

  // Leader. Requests queued behind a failure or a close are answered without IO.
  std::vector<Request*> group{r};
  absl::Status refuse;
  if (closed_) {
    refuse = absl::FailedPreconditionError(absl::StrCat("wal ", dir_, " is closed"));
  } else if (!bg_error_.ok() && r->kind != Request::Kind::kClose) {
    refuse = bg_error_;
  } else if (r->kind == Request::Kind::kAppend) {
    uint64_t bytes = kRecordHeaderSize + r->record.size();
    for (size_t i = 1; i < queue_.size(); ++i) {
      Request* next = queue_[i];
      if (next->kind != Request::Kind::kAppend) break;
      bytes += kRecordHeaderSize + next->record.size();
      if (bytes > options_.max_batch_bytes) break;
      group.push_back(next);
    }
  }

  absl::Status s = refuse;
  bool closing = false;
  const bool healthy = bg_error_.ok();
  if (refuse.ok()) {
    lock.unlock();
    switch (r->kind) {
      case Request::Kind::kAppend:
        s = ProcessAppends(group);
        break;
      case Request::Kind::kRotate:
        s = RollSegment();
        r->pos = Position{segment_, offset_};
        break;
      case Request::Kind::kSync:
        s = file_ ? SyncActive() : absl::FailedPreconditionError("wal: no active segment");
        break;
      case Request::Kind::kClose:
        if (file_ != nullptr) {
          if (options_.fsync_policy != FsyncPolicy::kNever) s = SyncActive();
          absl::Status c = file_->Close();
          if (s.ok()) s = c;
          file_.reset();
          // A clean close leaves no preallocated zeros; after a failure the file
          // is left as it is for the next Open() to judge.
          if (s.ok() && healthy && zeroed_end_ > offset_) s = env_->Truncate(SegmentPath(segment_), offset_);
        }
        closing = true;
        break;
    }
    const Position end{segment_, offset_};
    lock.lock();
    if (s.ok()) {
      written_end_ = end;
      if (r->kind != Request::Kind::kAppend ||
          options_.fsync_policy == FsyncPolicy::kAlways) {
        synced_end_ = end;
      }
    } else if (bg_error_.ok() && !closing) {
      spdlog::error("wal {}: {}; refusing further appends", dir_, std::string(s.message()));
      bg_error_ = absl::Status(
          s.code(), absl::StrCat("wal failed earlier, refusing appends: ", s.message()));
    }
    if (closing) closed_ = true;
  }
  if (s.ok() && r->kind == Request::Kind::kAppend) {
    uint64_t payload = 0;
    for (const Request* g : group) payload += g->record.size();
    Add(stats_.records_appended, group.size());
    Add(stats_.payload_bytes, payload);
  }
  for (Request* g : group) {
    queue_.pop_front();
    g->status = s;
    g->done = true;
    if (g != r) g->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  return s;
}

absl::StatusOr<Position> Wal::Impl::Append(std::string_view record) {
  if (record.size() > kMaxRecordSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("wal record of ", record.size(), " bytes exceeds ", kMaxRecordSize));
  }
  Request r;
  r.kind = Request::Kind::kAppend;
  r.record = record;
  STRATA_RETURN_IF_ERROR(Submit(&r));
  return r.pos;
}

absl::StatusOr<Position> Wal::Impl::Rotate() {
  Request r;
  r.kind = Request::Kind::kRotate;
  STRATA_RETURN_IF_ERROR(Submit(&r));
  return r.pos;
}

absl::Status Wal::Impl::Sync() {
  Request r;
  r.kind = Request::Kind::kSync;
  return Submit(&r);
}

absl::Status Wal::Impl::Close() {
  std::lock_guard<std::mutex> cl(close_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return close_status_;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  Request r;
  r.kind = Request::Kind::kClose;
  close_status_ = Submit(&r);
  return close_status_;
}

void Wal::Impl::SyncLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      stop_cv_.wait_for(l, options_.fsync_interval, [this] { return stopping_; });
      if (stopping_) return;
      if (written_end_ == synced_end_ || !bg_error_.ok()) continue;
    }
    // A failure is already sticky in bg_error_ and logged by the leader.
    (void)Sync();
  }
}

absl::Status Wal::Impl::TruncateBefore(Position pos) {
  uint64_t active;
  {
    std::lock_guard<std::mutex> l(mu_);
    active = written_end_.segment;
  }
  const uint64_t bound = std::min(pos.segment, active);
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments());
  bool deleted = false;
  for (uint64_t seg : segments) {
    if (seg >= bound) break;
    absl::Status s = env_->DeleteFile(SegmentPath(seg));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    if (s.ok()) {
      Add(stats_.segments_deleted, 1);
      deleted = true;
    }
  }
  if (deleted) STRATA_RETURN_IF_ERROR(env_->SyncDir(dir_));
  return absl::OkStatus();
}

absl::Status Wal::Impl::Replay(Position from, const ReplayCallback& callback) {
  Position end;
  {
    std::lock_guard<std::mutex> l(mu_);
    end = written_end_;
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments());
  std::vector<std::string> damage;
  std::optional<uint64_t> prev;
  for (uint64_t seg : segments) {
    if (seg < from.segment) continue;
    if (seg > end.segment) break;
    if (prev.has_value() && seg != *prev + 1) {
      // A whole segment vanished from the middle of the log (TruncateBefore only
      // removes a prefix).
      spdlog::error("wal {}: segments {} to {} are missing", dir_, *prev + 1, seg - 1);
      Add(stats_.corruptions, 1);
      damage.push_back(absl::StrCat("missing segments ", *prev + 1, " to ", seg - 1));
    }
    prev = seg;
    const std::string path = SegmentPath(seg);
    const uint64_t limit = seg == end.segment ? end.offset : SegmentReader::kNoLimit;
    STRATA_ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(env_, path, seg, limit));
    if (seg == from.segment && from.offset > kSegmentHeaderSize &&
        reader->problem() == SegmentReader::Problem::kNone) {
      STRATA_RETURN_IF_ERROR(reader->SkipTo(from.offset));
    }
    SegmentReader::Record rec;
    while (reader->Next(&rec)) {
      STRATA_RETURN_IF_ERROR(callback(rec.payload, Position{seg, rec.offset}));
    }
    STRATA_RETURN_IF_ERROR(reader->status());
    if (reader->problem() != SegmentReader::Problem::kNone) {
      spdlog::error("wal: corrupt record in {} at offset {} ({}); skipping the rest of it", path,
                    reader->valid_end(), reader->problem_reason());
      Add(stats_.corruptions, 1);
      damage.push_back(absl::StrCat(path, " at offset ", reader->valid_end(), ": ",
                                    reader->problem_reason()));
    }
  }
  if (!damage.empty()) {
    return absl::DataLossError(absl::StrCat("wal replay skipped corrupt data in ",
                                            absl::StrJoin(damage, "; ")));
  }
  return absl::OkStatus();
}

Stats Wal::Impl::stats() const {
  Stats s;
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  s.records_appended = get(stats_.records_appended);
  s.payload_bytes = get(stats_.payload_bytes);
  s.bytes_written = get(stats_.bytes_written);
  s.batches = get(stats_.batches);
  s.fsyncs = get(stats_.fsyncs);
  s.segments_created = get(stats_.segments_created);
  s.segments_deleted = get(stats_.segments_deleted);
  s.torn_tails_truncated = get(stats_.torn_tails_truncated);
  s.torn_bytes_dropped = get(stats_.torn_bytes_dropped);
  s.corruptions = get(stats_.corruptions);
  return s;
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, Options options) {
  if (dir.empty()) return absl::InvalidArgumentError("wal: empty directory");
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  auto impl = std::make_unique<Impl>(clean, options);
  STRATA_RETURN_IF_ERROR(impl->Recover());
  return std::unique_ptr<Wal>(new Wal(clean, std::move(impl)));
}

Wal::Wal(std::string dir, std::unique_ptr<Impl> impl)
    : dir_(std::move(dir)), impl_(std::move(impl)) {}

Wal::~Wal() = default;

absl::StatusOr<Position> Wal::Append(std::string_view record) { return impl_->Append(record); }
absl::Status Wal::Replay(Position from, const ReplayCallback& callback) {
  return impl_->Replay(from, callback);
}
absl::StatusOr<Position> Wal::Rotate() { return impl_->Rotate(); }
absl::Status Wal::TruncateBefore(Position pos) { return impl_->TruncateBefore(pos); }
absl::Status Wal::Sync() { return impl_->Sync(); }
absl::Status Wal::Close() { return impl_->Close(); }
Position Wal::EndPosition() const { return impl_->EndPosition(); }
Stats Wal::stats() const { return impl_->stats(); }

}  // namespace strata::wal
