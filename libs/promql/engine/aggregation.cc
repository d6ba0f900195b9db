// Aggregation operators over one step's instant vector, with Prometheus 2.42's
// grouping, output labels and numeric rules.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "libs/promql/engine/evaluator.h"
#include "libs/promql/engine/agg_state.h"
#include "libs/promql/functions/aggregate.h"
#include "libs/promql/functions/format.h"
#include "libs/promql/functions/histogram.h"

namespace strata::promql {
namespace {

struct Group {
  Labels metric;
  double value = 0;
  int64_t count = 0;
  fn::SumAggregator sum;
  fn::AvgAggregator avg;
  fn::VarianceAggregator var;
  std::vector<VectorSample> heap;
  std::vector<double> values;
};

// Prometheus' vectorByValueHeap ordering for topk (min-heap, NaN lowest) and
// vectorByReverseValueHeap for bottomk (max-heap, NaN highest).
template <typename T>
bool TopkLess(const T& a, const T& b) {
  if (std::isnan(a.v)) return true;
  return a.v < b.v;
}
template <typename T>
bool BottomkLess(const T& a, const T& b) {
  if (std::isnan(a.v)) return true;
  return a.v > b.v;
}

// Heap helpers mirroring Go's container/heap with a "less" meaning "closer to the top".
template <typename T, typename Less>
void HeapUp(std::vector<T>& h, size_t j, Less less) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (i == j || !less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}
template <typename T, typename Less>
void HeapDown(std::vector<T>& h, size_t i0, Less less) {
  size_t i = i0, n = h.size();
  while (true) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (size_t j2 = j1 + 1; j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
}

}  // namespace

Vector AggregateStep(const AggregateExpr& a, const Vector& in, double param,
                     const std::string& string_param) {
  std::vector<std::string> grouping = a.grouping;
  if (a.op == AggOp::kCountValues) {
    if (!IsValidLabelName(string_param)) {
      ThrowExec(absl::StrCat("invalid label name \"", string_param, "\""));
    }
    if (!a.without) grouping.push_back(string_param);
  }
  std::sort(grouping.begin(), grouping.end());
  int64_t k = 0;
  if (a.op == AggOp::kTopk || a.op == AggOp::kBottomk) {
    // Go's int64(f) on amd64 gives MinInt64 for NaN and out-of-range values.
    if (!(param > -9.2233720368547758e18 && param < 9.2233720368547758e18)) return {};
    k = static_cast<int64_t>(param);
    if (k < 1) return {};
  }

  absl::flat_hash_map<uint64_t, size_t> index;
  std::vector<Group> groups;
  for (const VectorSample& s0 : in) {
    const VectorSample* s = &s0;
    VectorSample cv;
    if (a.op == AggOp::kCountValues) {
      LabelsBuilder b(s0.metric);
      b.Set(string_param, fn::FormatFloatF(s0.v));
      cv = {b.Build(), s0.t, s0.v};
      s = &cv;
    }
    uint64_t key = a.without ? s->metric.HashWithout(grouping) : s->metric.HashFor(grouping);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      Group g;
      if (a.without) {
        LabelsBuilder b(s->metric);
        b.Del(kMetricName);
        for (const std::string& n : grouping) b.Del(n);
        g.metric = b.Build();
      } else {
        LabelsBuilder b;
        for (const Label& l : s->metric) {
          if (std::binary_search(grouping.begin(), grouping.end(), l.name)) b.Set(l.name, l.value);
        }
        g.metric = b.Build();
      }
      g.value = s->v;
      g.count = 1;
      switch (a.op) {
        case AggOp::kSum: g.sum.Add(s->v); break;
        case AggOp::kAvg: g.avg.Add(s->v); break;
        case AggOp::kStddev:
        case AggOp::kStdvar: g.var.Add(s->v); break;
        case AggOp::kGroup: g.value = 1; break;
        case AggOp::kTopk:
        case AggOp::kBottomk: g.heap.push_back(*s); break;
        case AggOp::kQuantile: g.values.push_back(s->v); break;
        default: break;
      }
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[it->second];
    ++g.count;
    switch (a.op) {
      case AggOp::kSum: g.sum.Add(s->v); break;
      case AggOp::kAvg: g.avg.Add(s->v); break;
      case AggOp::kStddev:
      case AggOp::kStdvar: g.var.Add(s->v); break;
      case AggOp::kMax:
        if (g.value < s->v || std::isnan(g.value)) g.value = s->v;
        break;
      case AggOp::kMin:
        if (g.value > s->v || std::isnan(g.value)) g.value = s->v;
        break;
      case AggOp::kTopk:
        if (static_cast<int64_t>(g.heap.size()) < k) {
          g.heap.push_back(*s);
          HeapUp(g.heap, g.heap.size() - 1, TopkLess<VectorSample>);
        } else if (g.heap[0].v < s->v || (std::isnan(g.heap[0].v) && !std::isnan(s->v))) {
          g.heap[0] = *s;
          if (k > 1) HeapDown(g.heap, 0, TopkLess<VectorSample>);
        }
        break;
      case AggOp::kBottomk:
        if (static_cast<int64_t>(g.heap.size()) < k) {
          g.heap.push_back(*s);
          HeapUp(g.heap, g.heap.size() - 1, BottomkLess<VectorSample>);
        } else if (g.heap[0].v > s->v || (std::isnan(g.heap[0].v) && !std::isnan(s->v))) {
          g.heap[0] = *s;
          if (k > 1) HeapDown(g.heap, 0, BottomkLess<VectorSample>);
        }
        break;
      case AggOp::kQuantile: g.values.push_back(s->v); break;
      default: break;
    }
  }

  Vector out;
  int64_t t = in.empty() ? 0 : in[0].t;
  for (Group& g : groups) {
    double v = g.value;
    switch (a.op) {
      case AggOp::kSum: v = g.sum.Result(); break;
      case AggOp::kAvg: v = g.avg.Result(); break;
      case AggOp::kCount:
      case AggOp::kCountValues: v = static_cast<double>(g.count); break;
      case AggOp::kStdvar: v = g.var.Stdvar(); break;
      case AggOp::kStddev: v = g.var.Stddev(); break;
      case AggOp::kQuantile: v = fn::Quantile(param, g.values); break;
      case AggOp::kTopk:
      case AggOp::kBottomk: {
        auto less = a.op == AggOp::kTopk ? TopkLess<VectorSample> : BottomkLess<VectorSample>;
        // Go: sort.Sort(sort.Reverse(heap)) - reverse order of "less".
        std::stable_sort(g.heap.begin(), g.heap.end(),
                         [&](const VectorSample& x, const VectorSample& y) { return less(y, x); });
        for (VectorSample& s : g.heap) out.push_back({std::move(s.metric), s.t, s.v});
        continue;
      }
      default: break;
    }
    out.push_back({std::move(g.metric), t, v});
  }
  return out;
}

namespace {

// The group of each of `n` series (metric(i) its labels), groups numbered in order of
// first appearance; out gets one empty series per group, labelled as the group.
template <typename MetricFn>
void ResolveGroups(const AggregateExpr& a, size_t n, MetricFn metric, std::vector<size_t>* group_of, Matrix* out) {
  std::vector<std::string> grouping = a.grouping;
  std::sort(grouping.begin(), grouping.end());
  absl::flat_hash_map<uint64_t, size_t> index;
  group_of->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Labels& m = metric(i);
    uint64_t key = a.without ? m.HashWithout(grouping) : m.HashFor(grouping);
    auto [it, inserted] = index.try_emplace(key, out->size());
    if (inserted) {
      LabelsBuilder b;
      if (a.without) {
        b = LabelsBuilder(m);
        b.Del(kMetricName);
        for (const std::string& name : grouping) b.Del(name);
      } else {
        for (const Label& l : m) {
          if (std::binary_search(grouping.begin(), grouping.end(), l.name)) b.Set(l.name, l.value);
        }
      }
      out->push_back({b.Build(), {}});
    }
    (*group_of)[i] = it->second;
  }
}

// Whether one state per (group, step) is affordable.
bool SeriesMajorFits(size_t groups, int64_t steps) {
  return static_cast<double>(groups) * static_cast<double>(steps) <= 4e6;
}

}  // namespace

Matrix AggregateMatrix(Evaluator& ev, const AggregateExpr& a, Matrix in) {
  // Group of each input series, computed once rather than per step.
  Matrix out;
  std::vector<size_t> group_of;
  ResolveGroups(a, in.size(), [&](size_t i) -> const Labels& { return in[i].metric; }, &group_of, &out);
  using State = AggState;
  const AggOp op = a.op;
  auto add = [op](State& g, double v) { AggAdd(op, g, v); };
  auto result = [op](const State& g) { return AggResult(op, g); };
  const int64_t steps = ev.NumSteps();
  const size_t groups = out.size();
  if (SeriesMajorFits(groups, steps)) {
    // Series-major: each series' points are read sequentially. Every (group, step)
    // still sees its inputs in series order, so the sums are the same as step-major.
    // Large inputs are cut by steps, one slice per thread: each (group, step) is
    // still summed by one thread in series order, so the answer does not change.
    std::vector<State> st(groups * steps);
    const int64_t start = ev.start(), interval = ev.interval();
    // Adds the points of series i with step index in [k0, k1). Points sit on steps,
    // ascending: the step index is found by walking, not by a 64-bit division each.
    auto add_series = [&](size_t i, size_t k0, size_t k1) {
      const std::vector<Sample>& pts = in[i].points;
      const int64_t t0 = start + static_cast<int64_t>(k0) * interval;
      const int64_t t1 = start + static_cast<int64_t>(k1) * interval;  // exclusive
      auto p = k0 == 0 ? pts.begin()
                       : std::lower_bound(pts.begin(), pts.end(), t0,
                                          [](const Sample& s, int64_t t) { return s.t < t; });
      if (p == pts.end() || p->t >= t1) return;
      size_t k = static_cast<size_t>((p->t - start) / interval);
      int64_t kt = start + static_cast<int64_t>(k) * interval;
      const size_t g = group_of[i];
      for (; p != pts.end() && p->t < t1; ++p) {
        while (kt < p->t) {
          ++k;
          kt += interval;
        }
        add(st[g * static_cast<size_t>(steps) + k], p->v);
      }
    };
    auto add_steps = [&](size_t k0, size_t k1) {
      for (size_t i = 0; i < in.size(); ++i) add_series(i, k0, k1);
    };
    double points = 0;
    for (const SeriesPoints& s : in) points += static_cast<double>(s.points.size());
    const size_t threads = ev.MaxThreads();
    const size_t nsteps = static_cast<size_t>(steps);
    if (threads <= 1 || points < 200e3 || nsteps < 2 * threads) {
      for (size_t i = 0; i < in.size(); i += 256) {
        ev.CheckInterrupt();
        // A slice of series over all steps: the same order as one pass.
        const size_t end = std::min(in.size(), i + 256);
        for (size_t j = i; j < end; ++j) add_series(j, 0, nsteps);
      }
    } else {
      ev.ParallelFor(nsteps, points, add_steps, (nsteps + threads - 1) / threads);
    }
    for (size_t g = 0; g < groups; ++g) {
      for (int64_t k = 0; k < steps; ++k) {
        const State& s = st[g * static_cast<size_t>(steps) + static_cast<size_t>(k)];
        if (s.seen()) out[g].points.push_back({ev.start() + k * ev.interval(), result(s)});
      }
    }
  } else {
    std::vector<State> st(groups);
    std::vector<size_t> cursor(in.size(), 0);
    for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval()) {
      ev.CheckInterrupt();
      std::fill(st.begin(), st.end(), State());
      for (size_t i = 0; i < in.size(); ++i) {
        const std::vector<Sample>& pts = in[i].points;
        size_t& c = cursor[i];
        if (c >= pts.size() || pts[c].t != ts) continue;
        add(st[group_of[i]], pts[c++].v);
      }
      for (size_t g = 0; g < groups; ++g) {
        if (st[g].seen()) out[g].points.push_back({ts, result(st[g])});
      }
    }
  }
  int64_t in_points = 0, out_points = 0;
  for (const SeriesPoints& s : in) in_points += static_cast<int64_t>(s.points.size());
  for (const SeriesPoints& s : out) out_points += static_cast<int64_t>(s.points.size());
  ev.Charge(out_points);
  ev.Release(in_points);
  std::erase_if(out, [](const SeriesPoints& s) { return s.points.empty(); });
  return out;
}

struct FusedAggregation::Impl {
  Evaluator& ev;
  AggOp op;
  Matrix out;                   // one series per group
  std::vector<size_t> group_of;
  size_t groups = 0;
  size_t steps = 0;
  // [group * steps + step]: a series' steps are neighbours. Step-major put each of a
  // series' points on another page once there were many groups (sum by (instance)).
  std::vector<AggState> st;
};

bool FusedAggregation::Supported(const AggregateExpr& a) {
  switch (a.op) {
    case AggOp::kSum:
    case AggOp::kAvg:
    case AggOp::kCount:
    case AggOp::kMin:
    case AggOp::kMax:
    case AggOp::kGroup:
    case AggOp::kStddev:
    case AggOp::kStdvar: return a.param == nullptr;
    default: return false;
  }
}

FusedAggregation::FusedAggregation(Evaluator& ev, const AggregateExpr& a, const std::vector<Labels>& metrics)
    : impl_(new Impl{ev, a.op, {}, {}, 0, {}}) {
  ResolveGroups(a, metrics.size(), [&](size_t i) -> const Labels& { return metrics[i]; }, &impl_->group_of,
                &impl_->out);
  impl_->groups = impl_->out.size();
  impl_->steps = static_cast<size_t>(ev.NumSteps());
  if (ok()) impl_->st.resize(impl_->groups * impl_->steps);
}

FusedAggregation::~FusedAggregation() = default;

bool FusedAggregation::ok() const { return SeriesMajorFits(impl_->groups, impl_->ev.NumSteps()); }

int64_t FusedAggregation::AddSeriesMajor(
    size_t n, const std::function<int64_t(size_t s0, size_t s1, double* values, uint8_t* has)>& fill,
    std::vector<uint8_t>* has_point) {
  Impl& im = *impl_;
  const size_t steps = im.steps;
  // Blocks of ~16k values (a few hundred KiB with their flags) per fill call.
  const size_t block = std::clamp<size_t>(16384 / steps, 1, 256);
  const size_t nblocks = (n + block - 1) / block;
  struct BlockValues {
    // [series in block][step], not zeroed: fill sets every `has`, and a value only
    // where its `has` is 1 (zeroing 128 KiB per block was ~4 % of a small query).
    std::unique_ptr<double[]> values;
    std::vector<uint8_t> has;  // the same shape: whether values[...] is set
  };
  std::vector<BlockValues> blocks(nblocks);
  has_point->assign(n, 0);
  std::atomic<int64_t> added{0};
  im.ev.ParallelForInOrder(
      nblocks, static_cast<double>(n) * static_cast<double>(steps),
      [&](size_t b) {
        const size_t s0 = b * block, s1 = std::min(n, s0 + block);
        BlockValues& out = blocks[b];
        out.values.reset(new double[(s1 - s0) * steps]);
        out.has.resize((s1 - s0) * steps);
        added += fill(s0, s1, out.values.get(), out.has.data());
      },
      [&](size_t b) {
        const size_t s0 = b * block, s1 = std::min(n, s0 + block);
        BlockValues& in = blocks[b];
        for (size_t s = s0; s < s1; ++s) {
          const size_t at = (s - s0) * steps;
          AggState* row = im.st.data() + im.group_of[s] * steps;
          if (AggAddRow(im.op, row, in.values.get() + at, in.has.data() + at, steps)) (*has_point)[s] = 1;
        }
        in = BlockValues();  // added: its memory goes back
      });
  return added.load();
}

Matrix FusedAggregation::Finish(const std::vector<uint8_t>& has_point) {
  Impl& im = *impl_;
  // AggregateMatrix numbers groups by their first series that has a point: follow it.
  std::vector<size_t> first(im.groups, SIZE_MAX);
  for (size_t s = 0; s < has_point.size(); ++s) {
    size_t& f = first[im.group_of[s]];
    if (has_point[s] && f == SIZE_MAX) f = s;
  }
  std::vector<size_t> order;
  for (size_t g = 0; g < im.groups; ++g) {
    if (first[g] != SIZE_MAX) order.push_back(g);
  }
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return first[x] < first[y]; });
  const int64_t steps = im.ev.NumSteps();
  Matrix result;
  int64_t out_points = 0;
  for (size_t g : order) {
    SeriesPoints sp{std::move(im.out[g].metric), {}};
    for (int64_t k = 0; k < steps; ++k) {
      const AggState& state = im.st[g * im.steps + static_cast<size_t>(k)];
      if (state.seen()) sp.points.push_back({im.ev.start() + k * im.ev.interval(), AggResult(im.op, state)});
    }
    out_points += static_cast<int64_t>(sp.points.size());
    if (!sp.points.empty()) result.push_back(std::move(sp));
  }
  im.ev.Charge(out_points);
  return result;
}

Matrix AggregateTopkMatrix(Evaluator& ev, const AggregateExpr& a, Matrix param, Matrix in) {
  // Groups are resolved once; each step then runs AggregateStep's heap algorithm on
  // (value, series) pairs in the same input order, so the same series win, ties
  // included, and the output comes in the order RangeEvalMatrices would give it.
  Matrix groups;
  std::vector<size_t> group_of;
  ResolveGroups(a, in.size(), [&](size_t i) -> const Labels& { return in[i].metric; }, &group_of, &groups);
  struct Cand {
    double v;
    uint32_t series;
  };
  const bool top = a.op == AggOp::kTopk;
  auto less = top ? TopkLess<Cand> : BottomkLess<Cand>;
  std::vector<int64_t> stamp(groups.size(), -1);  // step that last used the group's slot
  std::vector<size_t> slot_of(groups.size());
  std::vector<std::vector<Cand>> heaps;
  std::vector<size_t> cursor(in.size(), 0);
  size_t param_cursor = 0;
  Matrix out;
  std::vector<int64_t> out_index(in.size(), -1);
  int64_t step_no = 0;
  for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++step_no) {
    ev.CheckInterrupt();
    double p = std::nan("");
    if (!param.empty()) {
      const std::vector<Sample>& pts = param[0].points;
      if (param_cursor < pts.size() && pts[param_cursor].t == ts) p = pts[param_cursor++].v;
    }
    // Go's int64(f) on amd64 gives MinInt64 for NaN and out-of-range values.
    const bool k_ok = p > -9.2233720368547758e18 && p < 9.2233720368547758e18 && static_cast<int64_t>(p) >= 1;
    const size_t k = k_ok ? static_cast<size_t>(static_cast<int64_t>(p)) : 0;
    size_t slots = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const std::vector<Sample>& pts = in[i].points;
      size_t& c = cursor[i];
      if (c >= pts.size() || pts[c].t != ts) continue;
      const Cand s{pts[c++].v, static_cast<uint32_t>(i)};
      if (!k_ok) continue;
      const size_t g = group_of[i];
      if (stamp[g] != step_no) {
        stamp[g] = step_no;
        slot_of[g] = slots;
        if (heaps.size() <= slots) heaps.emplace_back();
        heaps[slots].assign(1, s);
        ++slots;
        continue;
      }
      std::vector<Cand>& h = heaps[slot_of[g]];
      if (h.size() < k) {
        h.push_back(s);
        HeapUp(h, h.size() - 1, less);
      } else if (top ? (h[0].v < s.v || (std::isnan(h[0].v) && !std::isnan(s.v)))
                     : (h[0].v > s.v || (std::isnan(h[0].v) && !std::isnan(s.v)))) {
        h[0] = s;
        if (k > 1) HeapDown(h, 0, less);
      }
    }
    int64_t emitted = 0;
    for (size_t slot = 0; slot < slots; ++slot) {
      std::vector<Cand>& h = heaps[slot];
      // Go: sort.Sort(sort.Reverse(heap)).
      std::stable_sort(h.begin(), h.end(), [&](const Cand& x, const Cand& y) { return less(y, x); });
      for (const Cand& s : h) {
        int64_t& o = out_index[s.series];
        if (o < 0) {
          o = static_cast<int64_t>(out.size());
          out.push_back({std::move(in[s.series].metric), {}});
        }
        out[static_cast<size_t>(o)].points.push_back({ts, s.v});
        ++emitted;
      }
    }
    ev.Charge(emitted);
  }
  int64_t held = 0;
  for (const Matrix* m : {&param, &in}) {
    for (const SeriesPoints& s : *m) held += static_cast<int64_t>(s.points.size());
  }
  ev.Release(held);
  return out;
}

}  // namespace strata::promql
