#include "libs/promql/engine/engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/promql/engine/evaluator.h"
#include "libs/promql/parser/parser.h"

namespace strata::promql {
namespace {

// The time span [*mint, *maxt] the expression reads, evaluated over [start, end].
void TimeRange(const Expr& e, const EvalContext& ctx, int64_t start, int64_t end, int64_t lookback,
               int64_t* mint, int64_t* maxt) {
  auto widen = [&](AtKind at, int64_t at_ms, int64_t offset, int64_t range) {
    int64_t s = SelectorRefTime(ctx, at, at_ms, offset, start);
    int64_t en = SelectorRefTime(ctx, at, at_ms, offset, end);
    *mint = std::min(*mint, s - range - lookback);
    *maxt = std::max(*maxt, en);
  };
  switch (e.kind) {
    case NodeKind::kVectorSelector: {
      auto& vs = static_cast<const VectorSelector&>(e);
      widen(vs.at, vs.at_ms, vs.offset_ms, 0);
      return;
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = static_cast<const MatrixSelector&>(e);
      auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
      widen(vs.at, vs.at_ms, vs.offset_ms, ms.range_ms);
      return;
    }
    case NodeKind::kSubquery: {
      auto& sq = static_cast<const SubqueryExpr&>(e);
      int64_t s = SelectorRefTime(ctx, sq.at, sq.at_ms, sq.offset_ms, start);
      int64_t en = SelectorRefTime(ctx, sq.at, sq.at_ms, sq.offset_ms, end);
      TimeRange(*sq.expr, ctx, s - sq.range_ms, en, lookback, mint, maxt);
      return;
    }
    case NodeKind::kParen:
      TimeRange(*static_cast<const ParenExpr&>(e).expr, ctx, start, end, lookback, mint, maxt);
      return;
    case NodeKind::kUnary:
      TimeRange(*static_cast<const UnaryExpr&>(e).expr, ctx, start, end, lookback, mint, maxt);
      return;
    case NodeKind::kBinary: {
      auto& b = static_cast<const BinaryExpr&>(e);
      TimeRange(*b.lhs, ctx, start, end, lookback, mint, maxt);
      TimeRange(*b.rhs, ctx, start, end, lookback, mint, maxt);
      return;
    }
    case NodeKind::kCall:
      for (const ExprPtr& a : static_cast<const Call&>(e).args) {
        TimeRange(*a, ctx, start, end, lookback, mint, maxt);
      }
      return;
    case NodeKind::kAggregate: {
      auto& a = static_cast<const AggregateExpr&>(e);
      TimeRange(*a.expr, ctx, start, end, lookback, mint, maxt);
      if (a.param) TimeRange(*a.param, ctx, start, end, lookback, mint, maxt);
      return;
    }
    default:
      return;
  }
}

}  // namespace

absl::StatusOr<Result> Engine::InstantQuery(const Queryable& q, std::string_view query,
                                            int64_t time_ms, const QueryOptions& qo) const {
  absl::StatusOr<ExprPtr> e = ParseExpr(query);
  if (!e.ok()) return e.status();
  return Exec(q, **e, time_ms, time_ms, 0, true, qo);
}

absl::StatusOr<Result> Engine::RangeQuery(const Queryable& q, std::string_view query,
                                          int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                          const QueryOptions& qo) const {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) return absl::InvalidArgumentError("end timestamp must not be before start time");
  absl::StatusOr<ExprPtr> e = ParseExpr(query);
  if (!e.ok()) return e.status();
  return Exec(q, **e, start_ms, end_ms, step_ms, false, qo);
}

absl::StatusOr<Result> Engine::Exec(const Queryable& q, const Expr& expr, int64_t start_ms,
                                    int64_t end_ms, int64_t step_ms, bool instant,
                                    const QueryOptions& qo) const {
  ValueType type = expr.Type();
  if (!instant && type != ValueType::kScalar && type != ValueType::kVector) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid expression type \"", Sv(ValueTypeName(type)),
                     "\" for range query, must be Scalar or instant Vector"));
  }
  if (instant) {
    end_ms = start_ms;
    step_ms = 1;
  }
  EvalContext ctx;
  ctx.opts = &opts_;
  ctx.cancel = qo.cancel;
  ctx.query_start = start_ms;
  ctx.query_end = end_ms;
  absl::Duration limit = opts_.timeout;
  if (qo.timeout > absl::ZeroDuration() && (limit <= absl::ZeroDuration() || qo.timeout < limit)) limit = qo.timeout;
  if (limit > absl::ZeroDuration()) ctx.deadline = absl::Now() + limit;

  int64_t mint = end_ms, maxt = start_ms;
  TimeRange(expr, ctx, start_ms, end_ms, opts_.lookback_delta_ms, &mint, &maxt);
  absl::StatusOr<std::unique_ptr<strata::Querier>> querier = q.NewQuerier(mint, maxt);
  if (!querier.ok()) return querier.status();
  ctx.querier = querier->get();

  Result res;
  try {
    Evaluator ev(&ctx, start_ms, end_ms, step_ms);
    ev.CheckInterrupt(/*force=*/true);
    if (instant) {
      switch (type) {
        case ValueType::kString:
          res.type = ValueType::kString;
          res.string = {start_ms, static_cast<const StringLiteral*>(Unparen(&expr))->value};
          break;
        case ValueType::kMatrix:
          res.type = ValueType::kMatrix;
          res.matrix = ev.EvalRangeAt(expr);
          break;
        case ValueType::kScalar: {
          Matrix m = ev.Eval(expr);
          res.type = ValueType::kScalar;
          res.scalar = {start_ms, m.empty() || m[0].points.empty() ? 0 : m[0].points[0].v};
          break;
        }
        default: {
          Matrix m = ev.Eval(expr);
          res.type = ValueType::kVector;
          res.vector.reserve(m.size());
          for (SeriesPoints& s : m) {
            if (s.points.empty()) continue;
            res.vector.push_back({std::move(s.metric), start_ms, s.points[0].v});
          }
        }
      }
    } else {
      res.type = ValueType::kMatrix;
      res.matrix = ev.Eval(expr);
      std::erase_if(res.matrix, [](const SeriesPoints& s) { return s.points.empty(); });
      std::sort(res.matrix.begin(), res.matrix.end(),
                [](const SeriesPoints& a, const SeriesPoints& b) { return a.metric < b.metric; });
    }
    ev.CheckInterrupt(/*force=*/true);
  } catch (const EvalError& e) {
    return e.status;
  }
  res.warnings = std::move(ctx.warnings);
  res.peak_samples = ctx.peak_samples;
  return res;
}

}  // namespace strata::promql
