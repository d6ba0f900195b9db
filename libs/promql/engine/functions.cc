// Function calls: range-vector functions walk each series once with a sliding window
// (WindowCursor); instant-vector functions run step by step through RangeEval. The
// numbers come from libs/promql/functions; this file decides windows, labels and the
// special cases (absent, timestamp, label_replace, histogram_quantile, ...).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/promql/engine/evaluator.h"
#include "libs/promql/functions/histogram.h"
#include "libs/promql/functions/holt_winters.h"
#include "libs/promql/functions/label.h"
#include "libs/promql/functions/math.h"
#include "libs/promql/functions/over_time.h"
#include "libs/promql/functions/rate.h"
#include "libs/promql/functions/regression.h"
#include "libs/promql/functions/time.h"

namespace strata::promql {
namespace {

using Window = std::span<const Sample>;

// rate, increase or delta of one prepared series at steps [0, steps): the value at
// step k goes to values[k] and has[k] says whether there is one. The same windows
// as WindowCursor over `p` and the same values as the generic kernel, with the
// cursor and the selector's reference time inlined: they were two calls per window
// and a third of the loop's time. Reference time of step k: first_ref + k *
// ref_step (ref_step is 0 under @). Returns how many values there are.
int64_t RateWindows(const WindowCursor::Prepared& p, size_t steps, int64_t first_ref, int64_t ref_step,
                    int64_t range, bool is_counter, bool is_rate, fn::ExtrapolationCache* cache, double* values,
                    uint8_t* has) {
  const Sample* d = p.samples.data();
  const size_t size = p.samples.size();
  const uint32_t* drops = is_counter && !p.drops.empty() ? p.drops.data() : nullptr;
  int64_t ref = first_ref;
  size_t head = static_cast<size_t>(
      std::lower_bound(d, d + size, ref - range, [](const Sample& s, int64_t t) { return s.t < t; }) - d);
  size_t tail = head;
  int64_t added = 0;
  for (size_t k = 0; k < steps; ++k, ref += ref_step) {
    const int64_t lo = ref - range;
    while (tail < size && d[tail].t <= ref) ++tail;
    while (head < tail && d[head].t < lo) ++head;
    has[k] = 0;
    if (tail - head < 2) continue;  // no rate from fewer than two samples
    const bool no_drops = drops == nullptr || drops[tail - 1] == drops[head];
    if (!fn::ExtrapolatedRateTo(Window(d + head, tail - head), lo, ref, is_counter, is_rate, is_counter && no_drops,
                                cache, &values[k])) {
      continue;
    }
    has[k] = 1;
    ++added;
  }
  return added;
}

// Labels for absent()/absent_over_time(): the equality matchers of a plain selector.
Labels AbsentLabels(const Expr* arg) {
  const VectorSelector* vs = nullptr;
  if (arg->kind == NodeKind::kVectorSelector) {
    vs = static_cast<const VectorSelector*>(arg);
  } else if (arg->kind == NodeKind::kMatrixSelector) {
    vs = static_cast<const VectorSelector*>(
        static_cast<const MatrixSelector*>(arg)->vector_selector.get());
  }
  if (vs == nullptr) return Labels();
  LabelsBuilder b;
  std::vector<std::string> empty;
  for (const Matcher& m : vs->matchers) {
    if (m.name() == kMetricName) continue;
    if (m.type() == MatchType::kEqual && b.Get(m.name()).empty()) {
      b.Set(m.name(), m.value());
    } else {
      empty.push_back(m.name());
    }
  }
  for (const std::string& n : empty) b.Del(n);
  return b.Build();
}

// Per-step values of a scalar argument.
std::vector<double> ScalarSteps(Evaluator& ev, const Expr& e) {
  Matrix m = ev.Eval(e);
  std::vector<double> out(ev.NumSteps(), std::nan(""));
  if (!m.empty()) {
    for (const Sample& p : m[0].points) out[(p.t - ev.start()) / ev.interval()] = p.v;
    ev.Release(static_cast<int64_t>(m[0].points.size()));
  }
  return out;
}

// With `fuse`, returns that aggregation of the function's result (fed step range by
// step range without building the intermediate matrix when it can).
Matrix EvalRangeFunction(Evaluator& ev, const Call& c, size_t matrix_arg, const AggregateExpr* fuse = nullptr) {
  std::string_view name = c.func->name;
  const Expr* arg = Unparen(c.args[matrix_arg].get());
  std::vector<std::vector<double>> scalars(c.args.size());
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i != matrix_arg) scalars[i] = ScalarSteps(ev, *c.args[i]);
  }

  // Where the windows come from.
  int64_t range = 0, offset = 0, at_ms = 0;
  AtKind at = AtKind::kNone;
  SeriesSource src;
  int64_t held = 0;  // subquery points held until the function is done
  if (arg->kind == NodeKind::kMatrixSelector) {
    auto& ms = static_cast<const MatrixSelector&>(*arg);
    auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
    range = ms.range_ms;
    offset = vs.offset_ms;
    at = vs.at;
    at_ms = vs.at_ms;
    int64_t first = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ev.start());
    int64_t last = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ev.end());
    src = SelectSeries(ev, vs, first - range, last, range, name);
  } else {
    auto& sq = static_cast<const SubqueryExpr&>(*arg);
    range = sq.range_ms;
    offset = sq.offset_ms;
    at = sq.at;
    at_ms = sq.at_ms;
    Matrix m = ev.EvalSubqueryMatrix(sq, nullptr);
    for (SeriesPoints& s : m) {
      held += static_cast<int64_t>(s.points.size());
      src.labels.push_back(std::move(s.metric));
      src.iters.push_back(MakeVectorIterator(std::move(s.points)));
    }
  }

  const int64_t steps = ev.NumSteps();
  if (name == "absent_over_time") {
    std::vector<bool> present(steps, false);
    for (auto& it : src.iters) {
      WindowCursor wc(it.get());
      int64_t i = 0;
      for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++i) {
        int64_t ref = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ts);
        if (!wc.Advance(ref - range, ref).empty()) present[i] = true;
      }
    }
    SeriesPoints out{AbsentLabels(c.args[matrix_arg].get()), {}};
    int64_t i = 0;
    for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++i) {
      if (!present[i]) out.points.push_back({ts, 1});
    }
    ev.Release(held);
    if (out.points.empty()) return {};
    ev.Charge(static_cast<int64_t>(out.points.size()));
    return {std::move(out)};
  }

  if (name == "holt_winters" && !src.iters.empty()) {
    // Prometheus validates the factors when the function first runs for a series.
    for (int64_t i = 0; i < steps; ++i) {
      absl::Status s = fn::ValidateHoltWinters(scalars[1][i], scalars[2][i]);
      if (!s.ok()) ThrowExec(std::string(s.message()));
    }
  }

  // The function, resolved once rather than by name at every step.
  enum class K {
    kRate, kIncrease, kDelta, kIrate, kIdelta, kResets, kChanges, kAvg, kSum, kCount, kMin, kMax, kStddev,
    kStdvar, kLast, kPresent, kQuantile, kDeriv, kPredictLinear, kHoltWinters
  };
  static const absl::flat_hash_map<std::string_view, K> kKernels = {
      {"rate", K::kRate}, {"increase", K::kIncrease}, {"delta", K::kDelta}, {"irate", K::kIrate},
      {"idelta", K::kIdelta}, {"resets", K::kResets}, {"changes", K::kChanges},
      {"avg_over_time", K::kAvg}, {"sum_over_time", K::kSum}, {"count_over_time", K::kCount},
      {"min_over_time", K::kMin}, {"max_over_time", K::kMax}, {"stddev_over_time", K::kStddev},
      {"stdvar_over_time", K::kStdvar}, {"last_over_time", K::kLast}, {"present_over_time", K::kPresent},
      {"quantile_over_time", K::kQuantile}, {"deriv", K::kDeriv}, {"predict_linear", K::kPredictLinear},
      {"holt_winters", K::kHoltWinters}};
  auto found = kKernels.find(name);
  if (found == kKernels.end()) ThrowExec(absl::StrCat("function \"", std::string(name), "\" is not implemented"));
  const K kind = found->second;
  // Per worker: scratch space and the last extrapolation factor.
  struct Scratch {
    std::vector<double> values;
    fn::ExtrapolationCache extrapolation;
  };
  // The functions other than rate/increase/delta.
  auto other_kernel = [&](Window w, int64_t ts, int64_t step, Scratch& scratch) -> std::optional<double> {
    switch (kind) {
      case K::kIrate: return fn::Irate(w);
      case K::kIdelta: return fn::Idelta(w);
      case K::kResets: return fn::Resets(w);
      case K::kChanges: return fn::Changes(w);
      case K::kAvg: return fn::AvgOverTime(w);
      case K::kSum: return fn::SumOverTime(w);
      case K::kCount: return fn::CountOverTime(w);
      case K::kMin: return fn::MinOverTime(w);
      case K::kMax: return fn::MaxOverTime(w);
      case K::kStddev: return fn::StddevOverTime(w);
      case K::kStdvar: return fn::StdvarOverTime(w);
      case K::kLast: return fn::LastOverTime(w);
      case K::kPresent: return fn::PresentOverTime(w);
      case K::kQuantile: return fn::QuantileOverTime(scalars[0][step], w, scratch.values);
      case K::kDeriv: return fn::Deriv(w);
      case K::kPredictLinear: return fn::PredictLinear(w, ts, scalars[1][step]);
      case K::kHoltWinters: return fn::HoltWinters(w, scalars[1][step], scalars[2][step]);
      case K::kRate:
      case K::kIncrease:
      case K::kDelta: break;  // kernel() below
    }
    return std::nullopt;
  };
  // Returns whether the window has a value and writes it to *out (no
  // std::optional: see fn::ExtrapolatedRateTo).
  auto kernel = [&](Window w, int64_t lo, int64_t hi, int64_t ts, int64_t step, Scratch& scratch,
                    const WindowCursor& wc, double* out) -> bool {
    switch (kind) {
      case K::kRate:
        return fn::ExtrapolatedRateTo(w, lo, hi, true, true, !wc.WindowHasDrop(), &scratch.extrapolation, out);
      case K::kIncrease:
        return fn::ExtrapolatedRateTo(w, lo, hi, true, false, !wc.WindowHasDrop(), &scratch.extrapolation, out);
      case K::kDelta: return fn::ExtrapolatedRateTo(w, lo, hi, false, false, false, &scratch.extrapolation, out);
      default: break;  // the others return std::optional
    }
    std::optional<double> v = other_kernel(w, ts, step, scratch);
    if (v) *out = *v;
    return v.has_value();
  };

  const size_t n = src.iters.size();
  const bool keep_name = name == "last_over_time";
  const bool track_drops = kind == K::kRate || kind == K::kIncrease;
  // Each series' labels as the result carries them, when the fused path below made
  // them (moved out of src.labels, which it leaves unspecified).
  std::vector<Labels> metrics;
  if (fuse != nullptr && arg->kind == NodeKind::kMatrixSelector) {
    // Fused: the aggregation takes the values without the intermediate matrix.
    // Needs series held in arrays (SeriesIterator::Contiguous).
    bool arrays = true;
    for (const auto& it : src.iters) arrays = arrays && it->ContiguousAvailable();
    if (arrays) {
      metrics.reserve(n);
      for (Labels& l : src.labels) metrics.push_back(keep_name ? std::move(l) : DropName(std::move(l)));
    }
    std::optional<FusedAggregation> agg;
    if (arrays) agg.emplace(ev, *fuse, metrics);
    if (agg && agg->ok()) {
      // Each series is prepared and all its windows computed while its samples are
      // in cache (FusedAggregation::AddSeriesMajor).
      const size_t nsteps = static_cast<size_t>(steps);
      const bool rate_kind = kind == K::kRate || kind == K::kIncrease || kind == K::kDelta;
      const bool is_counter = kind != K::kDelta, is_rate = kind == K::kRate;
      const int64_t first_ref = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ev.start());
      const int64_t ref_step = at == AtKind::kNone ? ev.interval() : 0;
      std::vector<uint8_t> points_of;
      const int64_t produced = agg->AddSeriesMajor(
          n,
          [&](size_t s0, size_t s1, double* values, uint8_t* has) {
            Scratch scratch;
            WindowCursor::Prepared prep;
            int64_t added = 0;
            for (size_t s = s0; s < s1; ++s, values += nsteps, has += nsteps) {
              std::unique_ptr<SeriesIterator> it = std::move(src.iters[s]);  // freed after its windows
              if (!WindowCursor::Prepare(it.get(), track_drops, &prep)) throw UnreadableSeries(*it);
              if (rate_kind) {
                added += RateWindows(prep, nsteps, first_ref, ref_step, range, is_counter, is_rate,
                                     &scratch.extrapolation, values, has);
                continue;
              }
              WindowCursor wc(prep);
              for (size_t k = 0; k < nsteps; ++k) {
                const int64_t ts = ev.start() + static_cast<int64_t>(k) * ev.interval();
                const int64_t ref = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ts);
                const int64_t lo = ref - range;
                Window w = wc.Advance(lo, ref);
                has[k] = !w.empty() && kernel(w, lo, ref, ts, static_cast<int64_t>(k), scratch, wc, &values[k]);
                added += has[k];
              }
            }
            return added;
          },
          &points_of);
      absl::flat_hash_set<uint64_t> seen;
      for (size_t s = 0; s < n; ++s) {
        if (points_of[s] && !seen.insert(metrics[s].Hash()).second) {
          ThrowExec("vector cannot contain metrics with the same labelset");
        }
      }
      // Accounted as if the function's result had been built, as unfused.
      ev.Charge(produced);
      Matrix out = agg->Finish(points_of);
      ev.Release(produced);
      return out;
    }
  }

  // Series are independent: their windows are evaluated in parallel, then kept in
  // input order.
  std::vector<SeriesPoints> results(n);
  const double work = static_cast<double>(n) * static_cast<double>(steps);
  ev.ParallelFor(n, work, [&](size_t begin, size_t end) {
    Scratch scratch;
    for (size_t s = begin; s < end; ++s) {
      WindowCursor wc(src.iters[s].get(), track_drops);
      std::vector<Sample>& points = results[s].points;
      int64_t i = 0;
      for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++i) {
        int64_t ref = SelectorRefTime(*ev.ctx(), at, at_ms, offset, ts);
        int64_t lo = ref - range;
        Window w = wc.Advance(lo, ref);
        if (w.empty()) continue;
        double v;
        if (kernel(w, lo, ref, ts, i, scratch, wc, &v)) points.push_back({ts, v});
      }
      if (!src.iters[s]->status().ok()) throw EvalError{src.iters[s]->status()};
      src.iters[s].reset();  // its samples are no longer needed
    }
  });

  Matrix out;
  absl::flat_hash_set<uint64_t> seen;
  for (size_t s = 0; s < n; ++s) {
    SeriesPoints& sp = results[s];
    if (sp.points.empty()) continue;
    if (!metrics.empty()) {
      sp.metric = std::move(metrics[s]);
    } else {
      sp.metric = keep_name ? std::move(src.labels[s]) : DropName(std::move(src.labels[s]));
    }
    if (!seen.insert(sp.metric.Hash()).second) {
      ThrowExec("vector cannot contain metrics with the same labelset");
    }
    ev.Charge(static_cast<int64_t>(sp.points.size()));
    out.push_back(std::move(sp));
  }
  ev.Release(held);
  if (fuse != nullptr) return AggregateMatrix(ev, *fuse, std::move(out));
  return out;
}

std::string StringArg(const Call& c, size_t i) {
  return static_cast<const StringLiteral&>(*Unparen(c.args[i].get())).value;
}

// NaN sorts last in both directions (Prometheus' sort/sort_desc).
void SortVector(Vector& v, bool desc) {
  std::stable_sort(v.begin(), v.end(), [desc](const VectorSample& a, const VectorSample& b) {
    if (std::isnan(a.v)) return false;
    if (std::isnan(b.v)) return true;
    return desc ? a.v > b.v : a.v < b.v;
  });
}

Vector HistogramQuantile(double q, const Vector& in) {
  struct Group {
    Labels metric;
    std::vector<fn::Bucket> buckets;
  };
  absl::flat_hash_map<uint64_t, size_t> index;
  std::vector<Group> groups;
  static const std::vector<std::string> kLe = {"le"};
  for (const VectorSample& s : in) {
    std::optional<double> ub = fn::ParseBucketBound(s.metric.Get("le"));
    if (!ub) continue;
    // Grouped by all labels but `le` (the name included), output without name and le.
    LabelsBuilder kb(s.metric);
    kb.Del("le");
    uint64_t key = kb.Build().Hash();
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      kb.Del(kMetricName);
      groups.push_back({kb.Build(), {}});
    }
    groups[it->second].buckets.push_back({*ub, s.v});
  }
  Vector out;
  for (Group& g : groups) {
    double v = fn::BucketQuantile(q, g.buckets);
    out.push_back({std::move(g.metric), in.empty() ? 0 : in[0].t, v});
  }
  return out;
}

}  // namespace

std::optional<Matrix> EvalFusedAggregate(Evaluator& ev, const AggregateExpr& a) {
  if (!FusedAggregation::Supported(a)) return std::nullopt;
  const Expr* inner = Unparen(a.expr.get());
  if (inner->kind != NodeKind::kCall) return std::nullopt;
  const Call& c = static_cast<const Call&>(*inner);
  if (c.func->name == "absent_over_time") return std::nullopt;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.func->arg_types[std::min(i, c.func->arg_types.size() - 1)] != ValueType::kMatrix) continue;
    if (Unparen(c.args[i].get())->kind != NodeKind::kMatrixSelector) return std::nullopt;
    return EvalRangeFunction(ev, c, i, &a);
  }
  return std::nullopt;
}

Matrix EvalFunctionCall(Evaluator& ev, const Call& c) {
  std::string_view name = c.func->name;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.func->arg_types[std::min(i, c.func->arg_types.size() - 1)] == ValueType::kMatrix) {
      return EvalRangeFunction(ev, c, i);
    }
  }

  if (name == "timestamp") {
    const Expr* a = Unparen(c.args[0].get());
    Matrix m = a->kind == NodeKind::kVectorSelector
                   ? ev.EvalVectorSelector(static_cast<const VectorSelector&>(*a), true)
                   : ev.Eval(*a);
    bool raw = a->kind == NodeKind::kVectorSelector;
    std::vector<Matrix> args;
    args.push_back(std::move(m));
    return ev.RangeEvalMatrices(args, [&](std::vector<Vector>& v, int64_t ts) {
      Vector out;
      for (VectorSample& s : v[0]) {
        out.push_back({DropName(s.metric), ts, raw ? s.v : static_cast<double>(ts) / 1000.0});
      }
      return out;
    });
  }

  // Arguments evaluated step by step (string arguments are read from the AST).
  std::vector<const Expr*> args;
  for (const ExprPtr& a : c.args) {
    if (a->Type() != ValueType::kString) args.push_back(a.get());
  }

  if (name == "label_replace") {
    auto r = fn::LabelReplacer::Create(StringArg(c, 1), StringArg(c, 2), StringArg(c, 3),
                                       StringArg(c, 4));
    if (!r.ok()) ThrowExec(std::string(r.status().message()));
    return ev.RangeEval(args, [&](std::vector<Vector>& v, int64_t) {
      Vector out = std::move(v[0]);
      for (VectorSample& s : out) s.metric = r->Apply(s.metric);
      return out;
    });
  }
  if (name == "label_join") {
    std::vector<std::string> srcs;
    for (size_t i = 3; i < c.args.size(); ++i) srcs.push_back(StringArg(c, i));
    auto j = fn::LabelJoiner::Create(StringArg(c, 1), StringArg(c, 2), std::move(srcs));
    if (!j.ok()) ThrowExec(std::string(j.status().message()));
    return ev.RangeEval(args, [&](std::vector<Vector>& v, int64_t) {
      Vector out = std::move(v[0]);
      for (VectorSample& s : out) s.metric = j->Apply(s.metric);
      return out;
    });
  }

  if (fn::UnaryFn f = fn::LookupUnaryMath(name)) {
    return ev.RangeEval(args, [f](std::vector<Vector>& v, int64_t) {
      Vector out = std::move(v[0]);
      for (VectorSample& s : out) {
        s.v = f(s.v);
        s.metric = DropName(s.metric);
      }
      return out;
    });
  }

  using TimeFn = double (*)(double);
  TimeFn tf = nullptr;
  if (name == "day_of_month") tf = fn::DayOfMonth;
  if (name == "day_of_week") tf = fn::DayOfWeek;
  if (name == "day_of_year") tf = fn::DayOfYear;
  if (name == "days_in_month") tf = fn::DaysInMonth;
  if (name == "hour") tf = fn::Hour;
  if (name == "minute") tf = fn::Minute;
  if (name == "month") tf = fn::Month;
  if (name == "year") tf = fn::Year;
  if (tf != nullptr) {
    return ev.RangeEval(args, [tf, &args](std::vector<Vector>& v, int64_t ts) {
      if (args.empty()) return Vector{{Labels(), ts, tf(static_cast<double>(ts) / 1000.0)}};
      Vector out = std::move(v[0]);
      for (VectorSample& s : out) {
        s.v = tf(s.v);
        s.metric = DropName(s.metric);
      }
      return out;
    });
  }

  if (name == "round") {
    return ev.RangeEval(args, [](std::vector<Vector>& v, int64_t) {
      double to = v.size() > 1 ? v[1][0].v : 1;
      Vector out = std::move(v[0]);
      for (VectorSample& s : out) {
        s.v = fn::Round(s.v, to);
        s.metric = DropName(s.metric);
      }
      return out;
    });
  }
  if (name == "clamp" || name == "clamp_min" || name == "clamp_max") {
    return ev.RangeEval(args, [name](std::vector<Vector>& v, int64_t) {
      Vector out;
      if (name == "clamp" && v[2][0].v < v[1][0].v) return out;
      out = std::move(v[0]);
      for (VectorSample& s : out) {
        if (name == "clamp") s.v = fn::Clamp(s.v, v[1][0].v, v[2][0].v);
        if (name == "clamp_min") s.v = fn::ClampMin(s.v, v[1][0].v);
        if (name == "clamp_max") s.v = fn::ClampMax(s.v, v[1][0].v);
        s.metric = DropName(s.metric);
      }
      return out;
    });
  }
  if (name == "time") {
    return ev.RangeEval(args, [](std::vector<Vector>&, int64_t ts) {
      return Vector{{Labels(), ts, static_cast<double>(ts) / 1000.0}};
    });
  }
  if (name == "pi") {
    return ev.RangeEval(args, [](std::vector<Vector>&, int64_t ts) {
      return Vector{{Labels(), ts, fn::Pi()}};
    });
  }
  if (name == "vector") {
    return ev.RangeEval(args, [](std::vector<Vector>& v, int64_t ts) {
      return Vector{{Labels(), ts, v[0][0].v}};
    });
  }
  if (name == "scalar") {
    return ev.RangeEval(args, [](std::vector<Vector>& v, int64_t ts) {
      return Vector{{Labels(), ts, v[0].size() == 1 ? v[0][0].v : std::nan("")}};
    });
  }
  if (name == "sort" || name == "sort_desc") {
    bool desc = name == "sort_desc";
    return ev.RangeEval(args, [desc](std::vector<Vector>& v, int64_t) {
      Vector out = std::move(v[0]);
      SortVector(out, desc);
      return out;
    });
  }
  if (name == "absent") {
    // Like Prometheus, a parenthesised argument gives no labels.
    Labels ls = AbsentLabels(c.args[0].get());
    return ev.RangeEval(args, [&ls](std::vector<Vector>& v, int64_t ts) {
      if (!v[0].empty()) return Vector{};
      return Vector{{ls, ts, 1}};
    });
  }
  if (name == "histogram_quantile") {
    return ev.RangeEval(args, [](std::vector<Vector>& v, int64_t) {
      return HistogramQuantile(v[0][0].v, v[1]);
    });
  }
  if (name == "histogram_count" || name == "histogram_sum" || name == "histogram_fraction") {
    // Only native histograms have these; float samples give nothing.
    return ev.RangeEval(args, [](std::vector<Vector>&, int64_t) { return Vector{}; });
  }
  ThrowExec(absl::StrCat("function \"", std::string(name), "\" is not implemented"));
}

}  // namespace strata::promql
