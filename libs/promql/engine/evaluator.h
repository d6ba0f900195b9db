// Internal: evaluates an AST over a series of steps, the way Prometheus' evaluator
// does. Every instant-vector or scalar node evaluates to a Matrix holding one point
// per step at which it has a value; an instant query is the one-step case.
//
// Errors: deep in the recursion the evaluator throws EvalError; Engine::Exec catches
// it once and returns its Status (Prometheus panics and recovers the same way). No
// exception leaves the library.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/model/queryable.h"
#include "libs/promql/engine/engine.h"
#include "libs/promql/engine/value.h"
#include "libs/promql/parser/ast.h"

namespace strata::promql {

struct EvalError {
  absl::Status status;
};

// The error of an iterator whose Contiguous() failed after ContiguousAvailable()
// said yes: reading the series failed, and status() says why.
inline EvalError UnreadableSeries(const SeriesIterator& it) {
  return EvalError{it.status().ok() ? absl::InternalError("a series could not be read as one array") : it.status()};
}

// Throws an EvalError with an Unknown-coded status carrying `msg` (an execution error).
[[noreturn]] void ThrowExec(std::string msg);

// Shared between an evaluator and the evaluators of its subqueries.
struct EvalContext {
  const EngineOptions* opts = nullptr;
  strata::Querier* querier = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancel = nullptr;
  int64_t query_start = 0;  // for @ start()
  int64_t query_end = 0;    // for @ end()
  int64_t current_samples = 0;
  int64_t peak_samples = 0;
  std::vector<std::string> warnings;
  int checks = 0;
};

// Source of series for range functions: a storage selection or a subquery's result.
struct SeriesSource {
  std::vector<Labels> labels;
  std::vector<std::unique_ptr<SeriesIterator>> iters;
};

class Evaluator {
 public:
  Evaluator(EvalContext* ctx, int64_t start, int64_t end, int64_t interval)
      : ctx_(ctx), start_(start), end_(end), interval_(interval) {}

  // Evaluates a scalar- or vector-typed expression: one series per output label set,
  // with a point at each step where it has a value (scalars: every step, no labels).
  Matrix Eval(const Expr& e);

  // Evaluates a range-vector expression at a single step (instant queries only):
  // the raw samples in each series' window.
  Matrix EvalRangeAt(const Expr& e);

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  int64_t NumSteps() const { return (end_ - start_) / interval_ + 1; }

  // Checks the cancel flag, and the deadline every few calls (every call with `force`).
  void CheckInterrupt(bool force = false);
  // Runs fn(begin, end) over consecutive slices of [0, n) on up to
  // EngineOptions::max_parallelism threads (one slice on the calling thread when
  // `work`, an estimate of the total cost in samples, is small). fn must only touch
  // state of its own slice; it may throw EvalError (the first one is rethrown here
  // after every slice has finished) and must not call CheckInterrupt/Charge, which
  // are single-threaded: ParallelFor checks for cancellation and the deadline itself
  // between slices of at most `chunk` items.
  void ParallelFor(size_t n, double work, const std::function<void(size_t begin, size_t end)>& fn,
                   size_t chunk = 256);
  // Runs produce(b) for every block b of [0, n) in parallel, blocks claimed in
  // ascending order (one thread when `work` is small, as ParallelFor), and
  // consume(b) for every block in ascending order, one
  // block at a time, each after its produce(b): on whichever thread finished the
  // block that let it go next. For reductions that must see their inputs in order
  // (a PromQL sum is order-sensitive to the last bit) but can compute them in
  // parallel. A block is produced at most a few blocks per thread ahead of the
  // next to consume, which bounds what waits in memory. produce may throw
  // EvalError (rethrown here, as ParallelFor does; the blocks after it may then not
  // be consumed); consume must not throw.
  void ParallelForInOrder(size_t n, double work, const std::function<void(size_t b)>& produce,
                          const std::function<void(size_t b)>& consume);
  // Threads ParallelFor may use.
  size_t MaxThreads() const;
  // Throws EvalError when the query is cancelled or (with `check_deadline`) past
  // its deadline; unlike CheckInterrupt, safe on any thread.
  void ThrowIfInterrupted(bool check_deadline = true) const;
  // Accounts `n` more samples held in memory; throws when over the limit.
  void Charge(int64_t n);
  void Release(int64_t n) { ctx_->current_samples -= n; }

  // The step-wise evaluation helper (Prometheus' rangeEval): evaluates `args`, then for
  // every step calls `f` with each argument's vector at that step (scalar arguments
  // give one element) and collects what it returns into series. Errors when one step's
  // output holds two elements with the same labels.
  using StepFn = std::function<Vector(std::vector<Vector>& args, int64_t ts)>;
  Matrix RangeEval(const std::vector<const Expr*>& args, const StepFn& f);
  // The same over already evaluated arguments (their points are released).
  Matrix RangeEvalMatrices(std::vector<Matrix>& args, const StepFn& f);

  EvalContext* ctx() { return ctx_; }

  // With `timestamps`, each point's value is the selected sample's time in seconds.
  Matrix EvalVectorSelector(const VectorSelector& vs, bool timestamps);
  // `a` over the selector `vs` (a parameterless aggregation FusedAggregation
  // supports): each series' value at each step goes straight to the aggregation,
  // without the intermediate matrix. The answer is AggregateMatrix's.
  Matrix EvalAggregatedSelector(const AggregateExpr& a, const VectorSelector& vs);
  // The subquery's inner evaluation (points at its own steps).
  Matrix EvalSubqueryMatrix(const SubqueryExpr& sq, int64_t* range_start_out);

 private:
  SeriesSource SelectInstant(const VectorSelector& vs);
  Matrix InstantMatrix(const VectorSelector& vs, SeriesSource src, bool timestamps);
  Matrix EvalBinary(const BinaryExpr& b);
  Matrix EvalAggregate(const AggregateExpr& a);
  Matrix ScalarMatrix(double v);

  EvalContext* ctx_;
  int64_t start_;
  int64_t end_;
  int64_t interval_;
};

// Time a selector with `at`/`offset` reads at for evaluation step `ts`.
int64_t SelectorRefTime(const EvalContext& ctx, AtKind at, int64_t at_ms, int64_t offset_ms,
                        int64_t ts);

// Series selected by a vector selector (sorted), with hints for [mint, maxt].
SeriesSource SelectSeries(Evaluator& ev, const VectorSelector& vs, int64_t mint, int64_t maxt,
                          int64_t range_ms, std::string_view func, RefGrid instant_refs = {});

// Sliding window over one series' samples: windows must be requested with
// non-decreasing bounds. Stale markers are dropped.
class WindowCursor {
 public:
  // With `track_drops`, WindowHasDrop() answers in O(1) for the last window.
  // An iterator that holds its samples in one array (SeriesIterator::Contiguous) is
  // read once, up front, instead of one virtual call per sample.
  explicit WindowCursor(SeriesIterator* it, bool track_drops = false);

  // A series read up front into what windows need: its samples without stale
  // markers and, when tracking drops, their running count of drops. Built once, it
  // can back any number of cursors at the same time (one per thread).
  struct Prepared {
    std::vector<Sample> own;          // the samples, when stale markers had to go
    std::span<const Sample> samples;  // `own`, or the iterator's array
    // drops[k]: samples j <= k below sample j - 1. Empty when tracking drops and
    // the series has none (WindowHasDrop() is then false everywhere).
    std::vector<uint32_t> drops;
  };
  // False when the iterator does not hold one array (SeriesIterator::Contiguous).
  static bool Prepare(SeriesIterator* it, bool track_drops, Prepared* out);
  // A cursor over prepared data, which must outlive it. Its first window is found by
  // binary search, so a cursor may start anywhere in the series.
  explicit WindowCursor(const Prepared& p);
  WindowCursor(const WindowCursor&) = delete;  // may point into itself
  WindowCursor& operator=(const WindowCursor&) = delete;

  // Samples with lo <= t <= hi.
  std::span<const Sample> Advance(int64_t lo, int64_t hi);
  size_t buffered() const { return tail_ - head_; }
  // Whether some sample of the last window is below the one before it in that
  // window (a counter reset). REQUIRES: track_drops.
  bool WindowHasDrop() const {
    if (prep_ != nullptr && prep_->drops.empty()) return false;
    const uint32_t* d = prep_ != nullptr ? prep_->drops.data() : drops_.data();
    return tail_ - head_ >= 2 && d[tail_ - 1] != d[head_];
  }

 private:
  // Appends one (non-stale) sample to buf_ and its drop count to drops_.
  void Buffer(const Sample& s);

  SeriesIterator* it_;
  bool track_drops_;
  // Read up front: prep_ points at own_prep_ or at the caller's Prepared.
  Prepared own_prep_;
  const Prepared* prep_ = nullptr;
  bool positioned_ = false;  // the first window of a prepared series was looked up
  size_t tail_ = 0;  // the last window is [head_, tail_) of buf_ (or whole_data_)
  std::vector<Sample> buf_;
  // drops_[k]: how many j <= k have buf_[j].v < buf_[j - 1].v (kept beside buf_).
  std::vector<uint32_t> drops_;
  size_t head_ = 0;
  bool has_pending_ = false;
  bool exhausted_ = false;
  Sample pending_;
};

// Iterator over an in-memory sample vector.
std::unique_ptr<SeriesIterator> MakeVectorIterator(std::vector<Sample> samples);

// Aggregation / binary operator / function evaluators (aggregation.cc, binary_op.cc,
// functions.cc).
Vector AggregateStep(const AggregateExpr& a, const Vector& in, double param,
                     const std::string& string_param);
// Whole-matrix aggregation for the operators without parameters (sum, avg, count,
// min, max, group, stddev, stdvar): groups are resolved once per series.
Matrix AggregateMatrix(Evaluator& ev, const AggregateExpr& a, Matrix in);
// topk and bottomk over whole matrices (`param` is k's scalar matrix): the series,
// points and order AggregateStep gives step by step, without copying labels per
// point.
Matrix AggregateTopkMatrix(Evaluator& ev, const AggregateExpr& a, Matrix param, Matrix in);

// An aggregation without parameters fed point by point while its input is being
// computed, instead of from a finished matrix (aggregation.cc). The answer is the
// one AggregateMatrix gives for the same points: each (group, step) receives its
// values in series order, and groups come out in the order of their first series
// that has a point.
class FusedAggregation {
 public:
  // Whether `a` can be fed this way (sum, avg, count, min, max, group, stddev, stdvar).
  static bool Supported(const AggregateExpr& a);
  // `metrics`: each input series' labels as the aggregated expression outputs them.
  FusedAggregation(Evaluator& ev, const AggregateExpr& a, const std::vector<Labels>& metrics);
  ~FusedAggregation();
  // False when groups x steps is too large for one state per (group, step): then
  // evaluate the input and call AggregateMatrix instead.
  bool ok() const;
  // Adds the values of input series [0, n) at every step, series by series:
  // fill(s0, s1, values, has) writes the value of each series s in [s0, s1) at
  // step k to values[(s - s0) * steps + k], sets has[...] to 1 when there is one
  // and 0 when not (values[...] is not read where has[...] is 0, and starts
  // unset), and returns how many there are. fill runs on several threads
  // at once for distinct blocks of series, and may throw EvalError; the values are
  // added in series order, as AggregateMatrix adds them, so the answer is the same
  // to the last bit. Each series is read once, while in cache; splitting the steps
  // between threads instead read every series from memory once per thread.
  // Returns how many values were added; has_point[s] tells whether series s had any.
  int64_t AddSeriesMajor(size_t n,
                         const std::function<int64_t(size_t s0, size_t s1, double* values, uint8_t* has)>& fill,
                         std::vector<uint8_t>* has_point);
  // The result; `has_point[s]` tells whether series s produced any point.
  Matrix Finish(const std::vector<uint8_t>& has_point);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// sum/avg/... (f(matrix selector)) evaluated without the intermediate matrix, when
// the function and the aggregation allow it; nullopt otherwise (functions.cc).
std::optional<Matrix> EvalFusedAggregate(Evaluator& ev, const AggregateExpr& a);
Vector BinaryVectorStep(const BinaryExpr& b, const Vector& lhs, const Vector& rhs);
Matrix BinaryVectorScalarMatrix(Evaluator& ev, const BinaryExpr& b, Matrix vec,
                                const Matrix& scalar, bool scalar_on_left);
double ScalarBinop(TokenType op, double lhs, double rhs);
Matrix EvalFunctionCall(Evaluator& ev, const Call& c);

// Labels without the metric name (shared helper).
inline Labels DropName(const Labels& l) { return l.WithoutMetricName(); }
inline Labels DropName(Labels&& l) { return std::move(l).WithoutMetricName(); }

}  // namespace strata::promql
