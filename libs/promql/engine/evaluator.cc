#include "libs/promql/engine/evaluator.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/common/thread_cache.h"
#include "libs/common/thread_pool.h"

namespace strata::promql {
namespace {

class InMemoryIterator : public SeriesIterator {
 public:
  explicit InMemoryIterator(std::vector<Sample> s) : s_(std::move(s)) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
    } else if (i_ < s_.size()) {
      ++i_;
    }
    return i_ < s_.size();
  }
  bool Seek(int64_t t) override {
    started_ = true;
    while (i_ < s_.size() && s_[i_].t < t) ++i_;
    return i_ < s_.size();
  }
  Sample At() const override { return s_[i_]; }
  bool ContiguousAvailable() const override { return !started_; }
  bool Contiguous(std::span<const Sample>* all) const override {
    if (started_) return false;
    *all = s_;
    return true;
  }

 private:
  std::vector<Sample> s_;
  size_t i_ = 0;
  bool started_ = false;
};

int64_t CountPoints(const Matrix& m) {
  int64_t n = 0;
  for (const SeriesPoints& s : m) n += static_cast<int64_t>(s.points.size());
  return n;
}

}  // namespace

void ThrowExec(std::string msg) { throw EvalError{absl::UnknownError(std::move(msg))}; }

std::unique_ptr<SeriesIterator> MakeVectorIterator(std::vector<Sample> samples) {
  return std::make_unique<InMemoryIterator>(std::move(samples));
}

int64_t SelectorRefTime(const EvalContext& ctx, AtKind at, int64_t at_ms, int64_t offset_ms,
                        int64_t ts) {
  switch (at) {
    case AtKind::kNone: return ts - offset_ms;
    case AtKind::kTimestamp: return at_ms - offset_ms;
    case AtKind::kStart: return ctx.query_start - offset_ms;
    case AtKind::kEnd: return ctx.query_end - offset_ms;
  }
  return ts;
}

void Evaluator::CheckInterrupt(bool force) {
  // Reading the clock costs more than the flag: do it every few calls.
  ThrowIfInterrupted(/*check_deadline=*/force || (++ctx_->checks & 15) == 0);
}

size_t Evaluator::MaxThreads() const {
  return ctx_->opts->max_parallelism > 0 ? static_cast<size_t>(ctx_->opts->max_parallelism)
                                         : HardwareThreads();
}

namespace {
// Below this much work (samples or windows, ~50 ns each) waking a cached thread for
// ParallelFor or ParallelForInOrder costs more than it saves.
constexpr double kMinParallelWork = 20'000;
}  // namespace

void Evaluator::ThrowIfInterrupted(bool check_deadline) const {
  if (ctx_->cancel != nullptr && ctx_->cancel->load(std::memory_order_relaxed)) {
    throw EvalError{absl::CancelledError("query was canceled")};
  }
  if (check_deadline && absl::Now() > ctx_->deadline) {
    throw EvalError{absl::DeadlineExceededError("query timed out in query execution")};
  }
}

void Evaluator::ParallelFor(size_t n, double work, const std::function<void(size_t, size_t)>& fn, size_t chunk) {
  const size_t kChunk = std::max<size_t>(1, chunk);
  size_t threads = std::min(MaxThreads(), (n + kChunk - 1) / kChunk);
  if (threads <= 1 || work < kMinParallelWork) {
    for (size_t b = 0; b < n; b += kChunk) {
      CheckInterrupt();
      fn(b, std::min(n, b + kChunk));
    }
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr first_error;
  auto run = [&] {
    for (;;) {
      const size_t b = next.fetch_add(kChunk);
      if (b >= n || failed.load(std::memory_order_relaxed)) return;
      try {
        ThrowIfInterrupted();
        fn(b, std::min(n, b + kChunk));
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
        return;
      }
    }
  };
  const std::function<void()> claim_and_run = run;
  ThreadCache::Shared().RunWithHelpers(threads - 1, claim_and_run, claim_and_run);
  if (first_error) std::rethrow_exception(first_error);
}

void Evaluator::ParallelForInOrder(size_t n, double work, const std::function<void(size_t)>& produce,
                                   const std::function<void(size_t)>& consume) {
  const size_t threads = std::min(MaxThreads(), n);
  if (threads <= 1 || work < kMinParallelWork) {
    for (size_t b = 0; b < n; ++b) {
      CheckInterrupt();
      produce(b);
      consume(b);
    }
    return;
  }
  // Blocks are claimed in order, and a block is produced at most `lead` blocks
  // ahead of the next to consume, so a consuming thread that is not scheduled for
  // a while does not let the others fill memory with produced blocks. A thread
  // that claims a block either produces it or fails the whole run, so a wait for
  // the blocks before it always ends.
  const size_t lead = 4 * threads;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint8_t> produced(n, 0);  // guarded by mu
  size_t claimed = 0;                   // blocks [0, claimed) are taken; guarded by mu
  size_t next = 0;                      // the next block to consume; guarded by mu
  bool consuming = false;               // some thread is consuming; guarded by mu
  std::exception_ptr first_error;       // guarded by mu; set means the run failed
  const std::function<void()> run = [&] {
    for (;;) {
      size_t b;
      {
        std::unique_lock<std::mutex> l(mu);
        if (first_error || claimed >= n) return;
        b = claimed++;
        cv.wait(l, [&] { return first_error || b < next + lead; });
        if (first_error) return;
      }
      try {
        ThrowIfInterrupted();
        produce(b);
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!first_error) first_error = std::current_exception();
        cv.notify_all();
        return;
      }
      std::unique_lock<std::mutex> l(mu);
      produced[b] = 1;
      if (consuming) continue;  // that thread sees this block before it stops
      consuming = true;
      while (next < n && produced[next]) {
        l.unlock();
        consume(next);
        l.lock();
        ++next;
        cv.notify_all();
      }
      consuming = false;
    }
  };
  ThreadCache::Shared().RunWithHelpers(threads - 1, run, run);
  if (first_error) std::rethrow_exception(first_error);
}

void Evaluator::Charge(int64_t n) {
  ctx_->current_samples += n;
  ctx_->peak_samples = std::max(ctx_->peak_samples, ctx_->current_samples);
  if (ctx_->current_samples > ctx_->opts->max_samples) {
    throw EvalError{absl::ResourceExhaustedError(
        "query processing would load too many samples into memory in query execution")};
  }
}

namespace {
// How many samples are below the one before them.
uint32_t CountDrops(std::span<const Sample> all) {
  uint32_t drops = 0;
  for (size_t k = 1; k < all.size(); ++k) drops += all[k].v < all[k - 1].v ? 1 : 0;
  return drops;
}
}  // namespace

bool WindowCursor::Prepare(SeriesIterator* it, bool track_drops, Prepared* out) {
  std::span<const Sample> all;
  if (!it->Contiguous(&all)) return false;
  out->own.clear();  // `out` may be reused from another series
  out->drops.clear();
  // One pass finds stale markers and counts drops; counters seldom reset, so the
  // running count is usually not needed at all.
  bool stale = false;
  uint32_t drops = 0;
  for (size_t k = 0; k < all.size(); ++k) {
    stale |= IsStaleNaN(all[k].v);
    drops += k > 0 && all[k].v < all[k - 1].v ? 1 : 0;
  }
  if (stale) {
    out->own.reserve(all.size());
    for (const Sample& s : all) {
      if (!IsStaleNaN(s.v)) out->own.push_back(s);
    }
    all = out->own;
    drops = CountDrops(all);
  }
  out->samples = all;
  if (track_drops && drops > 0) {
    out->drops.resize(all.size());
    uint32_t running = 0;
    for (size_t k = 0; k < all.size(); ++k) {
      if (k > 0 && all[k].v < all[k - 1].v) ++running;
      out->drops[k] = running;
    }
  }
  return true;
}

WindowCursor::WindowCursor(SeriesIterator* it, bool track_drops) : it_(it), track_drops_(track_drops) {
  if (Prepare(it_, track_drops_, &own_prep_)) prep_ = &own_prep_;
}

WindowCursor::WindowCursor(const Prepared& p) : it_(nullptr), track_drops_(!p.drops.empty()), prep_(&p) {}

void WindowCursor::Buffer(const Sample& s) {
  if (track_drops_) {
    const uint32_t before = drops_.empty() ? 0 : drops_.back();
    drops_.push_back(before + (!buf_.empty() && s.v < buf_.back().v ? 1 : 0));
  }
  buf_.push_back(s);
}

std::span<const Sample> WindowCursor::Advance(int64_t lo, int64_t hi) {
  if (prep_ != nullptr) {
    const Sample* data = prep_->samples.data();
    const size_t size = prep_->samples.size();
    if (!positioned_) {
      positioned_ = true;
      head_ = tail_ = static_cast<size_t>(
          std::lower_bound(data, data + size, lo, [](const Sample& s, int64_t t) { return s.t < t; }) - data);
    }
    // Windows move forward: both ends only ever advance.
    while (tail_ < size && data[tail_].t <= hi) ++tail_;
    while (head_ < tail_ && data[head_].t < lo) ++head_;
    return std::span<const Sample>(data + head_, tail_ - head_);
  }
  if (has_pending_ && pending_.t < lo && buf_.size() == head_) {
    // Jump over samples that can never be in a window again.
    if (it_->Seek(lo)) {
      pending_ = it_->At();
    } else {
      has_pending_ = false;
      exhausted_ = true;
    }
  } else if (!has_pending_ && !exhausted_ && buf_.empty() && head_ == 0) {
    if (it_->Seek(lo)) {
      pending_ = it_->At();
      has_pending_ = true;
    } else {
      exhausted_ = true;
    }
  }
  while (true) {
    if (!has_pending_) {
      if (exhausted_ || !it_->Next()) {
        exhausted_ = true;
        break;
      }
      pending_ = it_->At();
      has_pending_ = true;
    }
    if (pending_.t > hi) break;
    has_pending_ = false;
    if (pending_.t >= lo && !IsStaleNaN(pending_.v)) Buffer(pending_);
  }
  while (head_ < buf_.size() && buf_[head_].t < lo) ++head_;
  if (head_ > 256 && head_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(head_));
    if (track_drops_) drops_.erase(drops_.begin(), drops_.begin() + static_cast<long>(head_));
    head_ = 0;
  }
  tail_ = buf_.size();
  return std::span<const Sample>(buf_.data() + head_, buf_.size() - head_);
}

SeriesSource SelectSeries(Evaluator& ev, const VectorSelector& vs, int64_t mint, int64_t maxt,
                          int64_t range_ms, std::string_view func, RefGrid instant_refs) {
  SelectHints hints;
  hints.instant_refs = instant_refs;
  hints.start = mint;
  hints.end = maxt;
  hints.step = ev.start() == ev.end() ? 0 : ev.interval();
  hints.range = range_ms;
  hints.func = std::string(func);
  std::unique_ptr<SeriesSet> set = ev.ctx()->querier->Select(true, &hints, vs.matchers);
  SeriesSource src;
  while (set->Next()) {
    src.iters.push_back(set->At().Iterator());
    src.labels.push_back(set->TakeLabels());
  }
  if (!set->status().ok()) throw EvalError{set->status()};
  for (std::string& w : set->warnings()) ev.ctx()->warnings.push_back(std::move(w));
  return src;
}

Matrix Evaluator::ScalarMatrix(double v) {
  SeriesPoints s;
  int64_t n = NumSteps();
  s.points.reserve(n);
  for (int64_t ts = start_; ts <= end_; ts += interval_) s.points.push_back({ts, v});
  Charge(n);
  Matrix m;
  m.push_back(std::move(s));
  return m;
}

namespace {
// The sample an instant selector takes at reference time `ref` from a series held
// in one array, or null: the last at or before ref, if within `lookback` and not a
// stale marker. *j is the cursor: xs[0, *j) are at or before the last ref asked
// for, and refs must not decrease between calls.
inline const Sample* LatestAt(std::span<const Sample> xs, size_t* j, int64_t ref, int64_t lookback) {
  while (*j < xs.size() && xs[*j].t <= ref) ++*j;
  if (*j == 0) return nullptr;
  const Sample& last = xs[*j - 1];
  return last.t >= ref - lookback && !IsStaleNaN(last.v) ? &last : nullptr;
}
}  // namespace

SeriesSource Evaluator::SelectInstant(const VectorSelector& vs) {
  const int64_t lookback = ctx_->opts->lookback_delta_ms;
  int64_t first_ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, start_);
  int64_t last_ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, end_);
  // Every step reads the last sample at or before its reference time: tell storage
  // which times those are (with `@` they are all one).
  RefGrid refs{.first = first_ref, .step = 0, .count = 1};
  if (last_ref != first_ref) refs = RefGrid{.first = first_ref, .step = interval_, .count = NumSteps()};
  return SelectSeries(*this, vs, first_ref - lookback, last_ref, 0, "", refs);
}

Matrix Evaluator::EvalVectorSelector(const VectorSelector& vs, bool timestamps) {
  return InstantMatrix(vs, SelectInstant(vs), timestamps);
}

Matrix Evaluator::EvalAggregatedSelector(const AggregateExpr& a, const VectorSelector& vs) {
  SeriesSource src = SelectInstant(vs);
  const size_t n = src.iters.size();
  for (size_t s = 0; s < n; ++s) {
    if (!src.iters[s]->ContiguousAvailable()) {
      return AggregateMatrix(*this, a, InstantMatrix(vs, std::move(src), false));
    }
  }
  FusedAggregation agg(*this, a, src.labels);
  if (!agg.ok()) return AggregateMatrix(*this, a, InstantMatrix(vs, std::move(src), false));
  const int64_t lookback = ctx_->opts->lookback_delta_ms;
  const size_t nsteps = static_cast<size_t>(NumSteps());
  const int64_t first_ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, start_);
  std::vector<uint8_t> has_point;
  const int64_t produced = agg.AddSeriesMajor(
      n,
      [&](size_t s0, size_t s1, double* values, uint8_t* has) {
        int64_t added = 0;
        for (size_t s = s0; s < s1; ++s, values += nsteps, has += nsteps) {
          std::unique_ptr<SeriesIterator> it = std::move(src.iters[s]);  // freed after its steps
          std::span<const Sample> xs;
          if (!it->Contiguous(&xs)) throw UnreadableSeries(*it);
          // Samples [0, j) are at or before the step's reference time.
          size_t j = static_cast<size_t>(
              std::upper_bound(xs.begin(), xs.end(), first_ref, [](int64_t t, const Sample& x) { return t < x.t; }) -
              xs.begin());
          for (size_t k = 0; k < nsteps; ++k) {
            const int64_t ref =
                SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, start_ + static_cast<int64_t>(k) * interval_);
            const Sample* last = LatestAt(xs, &j, ref, lookback);
            has[k] = last != nullptr;
            if (last != nullptr) values[k] = last->v;
            added += has[k];
          }
        }
        return added;
      },
      &has_point);
  // Accounted as if the selector's matrix had been built, as unfused.
  Charge(produced);
  Matrix out = agg.Finish(has_point);
  Release(produced);
  return out;
}

Matrix Evaluator::InstantMatrix(const VectorSelector& vs, SeriesSource src, bool timestamps) {
  const int64_t lookback = ctx_->opts->lookback_delta_ms;
  // Series are independent: looked up on several threads, then kept in input order.
  const size_t n = src.iters.size();
  std::vector<SeriesPoints> results(n);
  ParallelFor(n, static_cast<double>(n) * static_cast<double>(NumSteps()), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      SeriesIterator* it = src.iters[i].get();
      std::vector<Sample>& points = results[i].points;
      std::span<const Sample> all;
      if (it->Contiguous(&all)) {
        // The series is one array: walk it with an index instead of per-sample calls.
        size_t j = 0;
        for (int64_t ts = start_; ts <= end_; ts += interval_) {
          const int64_t ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, ts);
          if (const Sample* last = LatestAt(all, &j, ref, lookback)) {
            points.push_back({ts, timestamps ? static_cast<double>(last->t) / 1000.0 : last->v});
          }
        }
        src.iters[i].reset();  // its samples are no longer needed
        continue;
      }
      bool has_pending = false, has_last = false, exhausted = false;
      Sample pending, last;
      for (int64_t ts = start_; ts <= end_; ts += interval_) {
        int64_t ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, ts);
        if (has_pending && pending.t < ref - lookback) {
          if (it->Seek(ref - lookback)) {
            pending = it->At();
          } else {
            has_pending = false;
            exhausted = true;
          }
          has_last = false;
        }
        while (true) {
          if (!has_pending) {
            if (exhausted || !it->Next()) {
              exhausted = true;
              break;
            }
            pending = it->At();
            has_pending = true;
          }
          if (pending.t > ref) break;
          last = pending;
          has_last = true;
          has_pending = false;
        }
        if (has_last && last.t >= ref - lookback && !IsStaleNaN(last.v)) {
          points.push_back({ts, timestamps ? static_cast<double>(last.t) / 1000.0 : last.v});
        }
      }
      if (!it->status().ok()) throw EvalError{it->status()};
      src.iters[i].reset();  // its samples are no longer needed
    }
  });
  Matrix out;
  for (size_t i = 0; i < n; ++i) {
    SeriesPoints& sp = results[i];
    if (sp.points.empty()) continue;
    Charge(static_cast<int64_t>(sp.points.size()));
    sp.metric = std::move(src.labels[i]);
    out.push_back(std::move(sp));
  }
  return out;
}

Matrix Evaluator::EvalSubqueryMatrix(const SubqueryExpr& sq, int64_t* range_start_out) {
  int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->opts->default_subquery_step_ms;
  int64_t base_start = start_, base_end = end_;
  if (sq.at != AtKind::kNone) {
    base_start = base_end = SelectorRefTime(*ctx_, sq.at, sq.at_ms, 0, start_);
  }
  int64_t lo = base_start - sq.offset_ms - sq.range_ms;
  int64_t new_start = step * (lo / step);
  if (new_start < lo) new_start += step;
  int64_t new_end = base_end - sq.offset_ms;
  if (range_start_out != nullptr) *range_start_out = lo;
  if (new_start > new_end) return {};
  Evaluator sub(ctx_, new_start, new_end, step);
  return sub.Eval(*sq.expr);
}

Matrix Evaluator::EvalRangeAt(const Expr& expr) {
  const Expr* e = Unparen(&expr);
  if (e->kind == NodeKind::kSubquery) {
    Matrix m = EvalSubqueryMatrix(static_cast<const SubqueryExpr&>(*e), nullptr);
    std::erase_if(m, [](const SeriesPoints& s) { return s.points.empty(); });
    return m;
  }
  if (e->kind != NodeKind::kMatrixSelector) ThrowExec("expected a range vector expression");
  auto& ms = static_cast<const MatrixSelector&>(*e);
  auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
  int64_t ref = SelectorRefTime(*ctx_, vs.at, vs.at_ms, vs.offset_ms, start_);
  SeriesSource src = SelectSeries(*this, vs, ref - ms.range_ms, ref, ms.range_ms, "");
  Matrix out;
  for (size_t i = 0; i < src.iters.size(); ++i) {
    WindowCursor wc(src.iters[i].get());
    std::span<const Sample> w = wc.Advance(ref - ms.range_ms, ref);
    if (w.empty()) continue;
    Charge(static_cast<int64_t>(w.size()));
    out.push_back({std::move(src.labels[i]), std::vector<Sample>(w.begin(), w.end())});
  }
  return out;
}

Matrix Evaluator::RangeEval(const std::vector<const Expr*>& args, const StepFn& f) {
  std::vector<Matrix> mats;
  mats.reserve(args.size());
  for (const Expr* a : args) mats.push_back(Eval(*a));
  return RangeEvalMatrices(mats, f);
}

Matrix Evaluator::RangeEvalMatrices(std::vector<Matrix>& mats, const StepFn& f) {
  std::vector<std::vector<size_t>> cursors(mats.size());
  for (size_t i = 0; i < mats.size(); ++i) cursors[i].assign(mats[i].size(), 0);
  Matrix out;
  absl::flat_hash_map<uint64_t, size_t> index;
  std::vector<int64_t> seen_step;
  std::vector<Vector> step_args(mats.size());
  int64_t step_no = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step_no) {
    CheckInterrupt();
    for (size_t i = 0; i < mats.size(); ++i) {
      Vector& v = step_args[i];
      v.clear();
      for (size_t s = 0; s < mats[i].size(); ++s) {
        const std::vector<Sample>& pts = mats[i][s].points;
        size_t& c = cursors[i][s];
        if (c < pts.size() && pts[c].t == ts) {
          v.push_back({mats[i][s].metric, ts, pts[c].v});
          ++c;
        }
      }
    }
    Vector res = f(step_args, ts);
    for (VectorSample& s : res) {
      uint64_t h = s.metric.Hash();
      auto [it, inserted] = index.try_emplace(h, out.size());
      if (inserted) {
        out.push_back({std::move(s.metric), {}});
        seen_step.push_back(-1);
      } else if (seen_step[it->second] == step_no) {
        ThrowExec("vector cannot contain metrics with the same labelset");
      }
      seen_step[it->second] = step_no;
      out[it->second].points.push_back({ts, s.v});
    }
    Charge(static_cast<int64_t>(res.size()));
  }
  for (const Matrix& m : mats) Release(CountPoints(m));
  return out;
}

Matrix Evaluator::Eval(const Expr& e) {
  CheckInterrupt();
  switch (e.kind) {
    case NodeKind::kNumber:
      return ScalarMatrix(static_cast<const NumberLiteral&>(e).value);
    case NodeKind::kString:
      ThrowExec("unexpected string in evaluation");
    case NodeKind::kParen:
      return Eval(*static_cast<const ParenExpr&>(e).expr);
    case NodeKind::kVectorSelector:
      return EvalVectorSelector(static_cast<const VectorSelector&>(e), false);
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery:
      ThrowExec("range vector cannot be evaluated as an instant value");
    case NodeKind::kUnary: {
      auto& u = static_cast<const UnaryExpr&>(e);
      Matrix m = Eval(*u.expr);
      if (u.op == TokenType::kSub) {
        bool vec = u.expr->Type() == ValueType::kVector;
        for (SeriesPoints& s : m) {
          for (Sample& p : s.points) p.v = -p.v;
          if (vec) s.metric = DropName(s.metric);
        }
        if (vec) {
          // Dropping the name can merge series.
          absl::flat_hash_map<uint64_t, int> seen;
          for (const SeriesPoints& s : m) {
            if (++seen[s.metric.Hash()] > 1) {
              ThrowExec("vector cannot contain metrics with the same labelset");
            }
          }
        }
      }
      return m;
    }
    case NodeKind::kBinary:
      return EvalBinary(static_cast<const BinaryExpr&>(e));
    case NodeKind::kAggregate:
      return EvalAggregate(static_cast<const AggregateExpr&>(e));
    case NodeKind::kCall:
      return EvalFunctionCall(*this, static_cast<const Call&>(e));
  }
  ThrowExec("unknown expression");
}

Matrix Evaluator::EvalBinary(const BinaryExpr& b) {
  ValueType lt = b.lhs->Type(), rt = b.rhs->Type();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    return RangeEval({b.lhs.get(), b.rhs.get()}, [&](std::vector<Vector>& a, int64_t ts) {
      return Vector{{Labels(), ts, ScalarBinop(b.op, a[0][0].v, a[1][0].v)}};
    });
  }
  if (lt == ValueType::kVector && rt == ValueType::kVector) {
    return RangeEval({b.lhs.get(), b.rhs.get()}, [&](std::vector<Vector>& a, int64_t) {
      return BinaryVectorStep(b, a[0], a[1]);
    });
  }
  bool scalar_left = lt == ValueType::kScalar;
  Matrix l = Eval(*b.lhs);
  Matrix r = Eval(*b.rhs);
  return scalar_left ? BinaryVectorScalarMatrix(*this, b, std::move(r), l, true)
                     : BinaryVectorScalarMatrix(*this, b, std::move(l), r, false);
}

Matrix Evaluator::EvalAggregate(const AggregateExpr& a) {
  if (a.op == AggOp::kCountValues) {
    const Expr* p = Unparen(a.param.get());
    std::string label = static_cast<const StringLiteral&>(*p).value;
    return RangeEval({a.expr.get()}, [&](std::vector<Vector>& v, int64_t) {
      return AggregateStep(a, v[0], 0, label);
    });
  }
  if (a.param && (a.op == AggOp::kTopk || a.op == AggOp::kBottomk)) {
    Matrix param = Eval(*a.param);
    return AggregateTopkMatrix(*this, a, std::move(param), Eval(*a.expr));
  }
  if (a.param) {
    return RangeEval({a.param.get(), a.expr.get()}, [&](std::vector<Vector>& v, int64_t) {
      return AggregateStep(a, v[1], v[0][0].v, "");
    });
  }
  if (std::optional<Matrix> fused = EvalFusedAggregate(*this, a)) return *std::move(fused);
  if (const Expr* e = Unparen(a.expr.get()); e->kind == NodeKind::kVectorSelector && FusedAggregation::Supported(a)) {
    return EvalAggregatedSelector(a, static_cast<const VectorSelector&>(*e));
  }
  return AggregateMatrix(*this, a, Eval(*a.expr));
}

}  // namespace strata::promql
