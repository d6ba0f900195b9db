// Binary operators: scalar/scalar, vector/scalar and vector/vector with Prometheus'
// vector matching rules (one-to-one, many-to-one, one-to-many, set operators).
#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/model/string_escape.h"
#include "libs/promql/engine/evaluator.h"

namespace strata::promql {
namespace {

// Operators whose result drops the metric name (Prometheus 2.42 keeps it for atan2).
bool IsArithmetic(TokenType op) {
  switch (op) {
    case TokenType::kAdd: case TokenType::kSub: case TokenType::kMul: case TokenType::kDiv:
    case TokenType::kMod: case TokenType::kPow:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop: the value and whether a comparison keeps the element.
std::pair<double, bool> ElemBinop(TokenType op, double l, double r) {
  switch (op) {
    case TokenType::kAdd: return {l + r, true};
    case TokenType::kSub: return {l - r, true};
    case TokenType::kMul: return {l * r, true};
    case TokenType::kDiv: return {l / r, true};
    case TokenType::kPow: return {std::pow(l, r), true};
    case TokenType::kMod: return {std::fmod(l, r), true};
    case TokenType::kAtan2: return {std::atan2(l, r), true};
    case TokenType::kEql: return {l, l == r};
    case TokenType::kNeq: return {l, l != r};
    case TokenType::kGtr: return {l, l > r};
    case TokenType::kLss: return {l, l < r};
    case TokenType::kGte: return {l, l >= r};
    case TokenType::kLte: return {l, l <= r};
    default: ThrowExec(absl::StrCat("operator \"", std::string(OpString(op)), "\" not allowed for vector operations"));
  }
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct Signature {
  bool on;
  std::vector<std::string> names;  // sorted
  uint64_t operator()(const Labels& l) const { return on ? l.HashFor(names) : l.HashWithout(names); }
};

// Prometheus' labels.Labels.String(): every label, __name__ included, inside braces.
std::string AllLabelsString(const Labels& l) {
  std::string out = "{";
  bool first = true;
  for (const Label& x : l) {
    if (!first) out += ", ";
    first = false;
    absl::StrAppend(&out, x.name, "=", GoQuote(x.value));
  }
  return out + "}";
}

// The label set shown in "found duplicate series" errors.
std::string MatchGroupString(const Labels& l, const Signature& sig) {
  LabelsBuilder b;
  for (const Label& x : l) {
    bool in = std::binary_search(sig.names.begin(), sig.names.end(), x.name);
    if (sig.on ? in : (!in && x.name != kMetricName)) b.Set(x.name, x.value);
  }
  return AllLabelsString(b.Build());
}

Vector SetOp(const BinaryExpr& b, const Vector& lhs, const Vector& rhs, const Signature& sig) {
  Vector out;
  switch (b.op) {
    case TokenType::kLand: {
      if (lhs.empty() || rhs.empty()) return out;
      absl::flat_hash_set<uint64_t> r;
      for (const VectorSample& s : rhs) r.insert(sig(s.metric));
      for (const VectorSample& s : lhs) {
        if (r.contains(sig(s.metric))) out.push_back(s);
      }
      return out;
    }
    case TokenType::kLor: {
      absl::flat_hash_set<uint64_t> l;
      for (const VectorSample& s : lhs) {
        l.insert(sig(s.metric));
        out.push_back(s);
      }
      for (const VectorSample& s : rhs) {
        if (!l.contains(sig(s.metric))) out.push_back(s);
      }
      return out;
    }
    default: {  // unless
      absl::flat_hash_set<uint64_t> r;
      for (const VectorSample& s : rhs) r.insert(sig(s.metric));
      for (const VectorSample& s : lhs) {
        if (!r.contains(sig(s.metric))) out.push_back(s);
      }
      return out;
    }
  }
}

Labels ResultMetric(const Labels& many, const Labels& one, TokenType op, const VectorMatching& m,
                    const std::vector<std::string>& sorted_names) {
  LabelsBuilder b(many);
  if (IsArithmetic(op)) b.Del(kMetricName);
  if (m.card == Cardinality::kOneToOne) {
    if (m.on) {
      for (const Label& l : many) {
        if (!std::binary_search(sorted_names.begin(), sorted_names.end(), l.name)) b.Del(l.name);
      }
    } else {
      for (const std::string& n : m.labels) b.Del(n);
    }
  }
  for (const std::string& n : m.include) {
    std::string_view v = one.Get(n);
    if (!v.empty()) {
      b.Set(n, v);
    } else {
      b.Del(n);
    }
  }
  return b.Build();
}

}  // namespace

double ScalarBinop(TokenType op, double l, double r) {
  switch (op) {
    case TokenType::kEql: return l == r ? 1 : 0;
    case TokenType::kNeq: return l != r ? 1 : 0;
    case TokenType::kGtr: return l > r ? 1 : 0;
    case TokenType::kLss: return l < r ? 1 : 0;
    case TokenType::kGte: return l >= r ? 1 : 0;
    case TokenType::kLte: return l <= r ? 1 : 0;
    default: return ElemBinop(op, l, r).first;
  }
}

Matrix BinaryVectorScalarMatrix(Evaluator& ev, const BinaryExpr& b, Matrix vec,
                                const Matrix& scalar, bool scalar_on_left) {
  // Output labels depend only on the input series, so this runs series by series
  // instead of step by step; series that end up with the same labels are merged the
  // way step-wise evaluation would, failing if they meet at the same step.
  std::vector<double> sv(ev.NumSteps(), std::nan(""));
  int64_t in_points = 0;
  if (!scalar.empty()) {
    for (const Sample& p : scalar[0].points) sv[(p.t - ev.start()) / ev.interval()] = p.v;
    in_points += static_cast<int64_t>(scalar[0].points.size());
  }
  bool drop = IsArithmetic(b.op) || b.return_bool;
  Matrix out;
  absl::flat_hash_map<uint64_t, size_t> index;
  int64_t out_points = 0;
  for (SeriesPoints& s : vec) {
    ev.CheckInterrupt();
    in_points += static_cast<int64_t>(s.points.size());
    std::vector<Sample> pts;
    pts.reserve(s.points.size());
    for (const Sample& p : s.points) {
      double l = p.v, r = sv[(p.t - ev.start()) / ev.interval()];
      if (scalar_on_left) std::swap(l, r);
      auto [value, keep] = ElemBinop(b.op, l, r);
      if (IsComparisonOp(b.op) && scalar_on_left) value = r;
      if (b.return_bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (keep) pts.push_back({p.t, value});
    }
    if (pts.empty()) continue;
    out_points += static_cast<int64_t>(pts.size());
    Labels metric = drop ? DropName(s.metric) : std::move(s.metric);
    auto [it, inserted] = index.try_emplace(metric.Hash(), out.size());
    if (inserted) {
      out.push_back({std::move(metric), std::move(pts)});
      continue;
    }
    std::vector<Sample>& have = out[it->second].points;
    std::vector<Sample> merged;
    merged.reserve(have.size() + pts.size());
    size_t i = 0, j = 0;
    while (i < have.size() || j < pts.size()) {
      if (j == pts.size() || (i < have.size() && have[i].t < pts[j].t)) {
        merged.push_back(have[i++]);
      } else if (i == have.size() || pts[j].t < have[i].t) {
        merged.push_back(pts[j++]);
      } else {
        ThrowExec("vector cannot contain metrics with the same labelset");
      }
    }
    have = std::move(merged);
  }
  ev.Charge(out_points);
  ev.Release(in_points);
  return out;
}

Vector BinaryVectorStep(const BinaryExpr& b, const Vector& lhs_in, const Vector& rhs_in) {
  const VectorMatching& m = *b.matching;
  Signature sig{m.on, Sorted(m.labels)};
  if (IsSetOp(b.op)) return SetOp(b, lhs_in, rhs_in, sig);
  if (lhs_in.empty() || rhs_in.empty()) return {};
  const Vector* lhs = &lhs_in;
  const Vector* rhs = &rhs_in;
  if (m.card == Cardinality::kOneToMany) std::swap(lhs, rhs);
  // The rhs is now the "one" side: its match groups must be unique.
  absl::flat_hash_map<uint64_t, const VectorSample*> right;
  for (const VectorSample& rs : *rhs) {
    uint64_t h = sig(rs.metric);
    auto [it, inserted] = right.try_emplace(h, &rs);
    if (!inserted) {
      std::string side = m.card == Cardinality::kOneToMany ? "left" : "right";
      ThrowExec(absl::StrCat("found duplicate series for the match group ",
                             MatchGroupString(rs.metric, sig), " on the ", side,
                             " hand-side of the operation: [", AllLabelsString(it->second->metric), ", ",
                             AllLabelsString(rs.metric),
                             "];many-to-many matching not allowed: matching labels must be unique "
                             "on one side"));
    }
  }
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> matched;
  Vector out;
  for (const VectorSample& ls : *lhs) {
    uint64_t h = sig(ls.metric);
    auto it = right.find(h);
    if (it == right.end()) continue;
    const VectorSample& rs = *it->second;
    double vl = ls.v, vr = rs.v;
    if (m.card == Cardinality::kOneToMany) std::swap(vl, vr);
    auto [value, keep] = ElemBinop(b.op, vl, vr);
    if (b.return_bool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    Labels metric = ResultMetric(ls.metric, rs.metric, b.op, m, sig.names);
    if (b.return_bool) metric = DropName(metric);
    auto [mit, first] = matched.try_emplace(h);
    if (m.card == Cardinality::kOneToOne) {
      if (!first) {
        ThrowExec("multiple matches for labels: many-to-one matching must be explicit "
                  "(group_left/group_right)");
      }
    } else if (!mit->second.insert(metric.Hash()).second) {
      ThrowExec("multiple matches for labels: grouping labels must ensure unique matches");
    }
    out.push_back({std::move(metric), ls.t, value});
  }
  return out;
}

}  // namespace strata::promql
