// The state of one (group, step) of a parameterless aggregation (sum, avg, count,
// min, max, group, stddev, stdvar) and how a value is added to it: shared by
// AggregateMatrix and the fused paths, which add values inline in their loops.
//
//   AggState st;
//   for (double v : values) AggAdd(AggOp::kSum, st, v);
//   if (st.seen()) use(AggResult(AggOp::kSum, st));
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "libs/promql/functions/aggregate.h"
#include "libs/promql/parser/ast.h"

namespace strata::promql {

// One (group, step) of an aggregation without parameters, 24 bytes whatever the op: with many
// groups (sum by (instance)) the states of a query outgrow the cache, and the
// 80-byte state holding every op's fields made each Add a cache miss. Fields:
// sum: a = sum; avg: a = mean; stddev/stdvar: a = mean, b = M2; min/max: a = value;
// group: a = 1; count: n only.
struct AggState {
  int64_t n = 0;  // points added; 0 means none yet
  double a = 0;
  double b = 0;
  bool seen() const { return n > 0; }
};

inline void AggAdd(AggOp op, AggState& g, double v) {
  const int64_t n = ++g.n;
  switch (op) {
    case AggOp::kSum: g.a = n == 1 ? v : g.a + v; break;  // as fn::SumAggregator
    case AggOp::kAvg: fn::AvgAggregator::Step(&g.a, n, v); break;
    case AggOp::kStddev:
    case AggOp::kStdvar: fn::VarianceAggregator::Step(&g.a, &g.b, n, v); break;
    case AggOp::kMax:
      if (n == 1 || g.a < v || std::isnan(g.a)) g.a = v;
      break;
    case AggOp::kMin:
      if (n == 1 || g.a > v || std::isnan(g.a)) g.a = v;
      break;
    case AggOp::kGroup: g.a = 1; break;
    default: break;
  }
}

// AggAdd(op, row[k], values[k]) for every k < n with has[k]: one series' values at
// n steps into its group's row. The op is dispatched once, not per value. Returns
// whether any has[k] was set.
template <AggOp kOp>
bool AggAddRowOf(AggState* row, const double* values, const uint8_t* has, size_t n) {
  uint8_t any = 0;
  for (size_t k = 0; k < n; ++k) {
    if (has[k]) AggAdd(kOp, row[k], values[k]);
    any |= has[k];
  }
  return any != 0;
}
inline bool AggAddRow(AggOp op, AggState* row, const double* values, const uint8_t* has, size_t n) {
  switch (op) {
    case AggOp::kSum: return AggAddRowOf<AggOp::kSum>(row, values, has, n);
    case AggOp::kAvg: return AggAddRowOf<AggOp::kAvg>(row, values, has, n);
    case AggOp::kCount: return AggAddRowOf<AggOp::kCount>(row, values, has, n);
    case AggOp::kMax: return AggAddRowOf<AggOp::kMax>(row, values, has, n);
    case AggOp::kMin: return AggAddRowOf<AggOp::kMin>(row, values, has, n);
    case AggOp::kGroup: return AggAddRowOf<AggOp::kGroup>(row, values, has, n);
    case AggOp::kStddev: return AggAddRowOf<AggOp::kStddev>(row, values, has, n);
    default: return AggAddRowOf<AggOp::kStdvar>(row, values, has, n);
  }
}

inline double AggResult(AggOp op, const AggState& g) {
  switch (op) {
    case AggOp::kCount: return static_cast<double>(g.n);
    case AggOp::kStdvar: return g.b / static_cast<double>(g.n);
    case AggOp::kStddev: return std::sqrt(g.b / static_cast<double>(g.n));
    default: return g.a;
  }
}

}  // namespace strata::promql
