#include "libs/promql/parser/printer.h"

#include <cmath>
#include <string>

#include <spdlog/fmt/fmt.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/absl_compat.h"
#include "libs/common/duration.h"
#include "libs/model/string_escape.h"

namespace strata::promql {
namespace {

std::string AtString(AtKind at, int64_t at_ms) {
  switch (at) {
    case AtKind::kNone: return "";
    case AtKind::kStart: return " @ start()";
    case AtKind::kEnd: return " @ end()";
    case AtKind::kTimestamp: return fmt::format(" @ {:.3f}", static_cast<double>(at_ms) / 1000.0);
  }
  return "";
}

std::string OffsetString(int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + FormatDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatDuration(-offset_ms);
  return "";
}

std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const Matcher& m : vs.matchers) {
    if (!vs.name.empty() && m.name() == "__name__" && m.type() == MatchType::kEqual) continue;
    parts.push_back(m.ToString());
  }
  if (parts.empty() && !vs.name.empty()) return vs.name;
  return absl::StrCat(vs.name, "{", absl::StrJoin(parts, ", "), "}");
}

std::string Grouping(const std::vector<std::string>& labels) {
  return absl::StrCat("(", absl::StrJoin(labels, ", "), ")");
}

}  // namespace

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string ExprToString(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumber:
      return FormatNumber(static_cast<const NumberLiteral&>(e).value);
    case NodeKind::kString:
      return GoQuote(static_cast<const StringLiteral&>(e).value);
    case NodeKind::kVectorSelector: {
      auto& vs = static_cast<const VectorSelector&>(e);
      return absl::StrCat(SelectorBody(vs), AtString(vs.at, vs.at_ms), OffsetString(vs.offset_ms));
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = static_cast<const MatrixSelector&>(e);
      auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
      return absl::StrCat(SelectorBody(vs), "[", FormatDuration(ms.range_ms), "]",
                          AtString(vs.at, vs.at_ms), OffsetString(vs.offset_ms));
    }
    case NodeKind::kSubquery: {
      auto& sq = static_cast<const SubqueryExpr&>(e);
      return absl::StrCat(ExprToString(*sq.expr), "[", FormatDuration(sq.range_ms), ":",
                          sq.step_ms > 0 ? FormatDuration(sq.step_ms) : "", "]",
                          AtString(sq.at, sq.at_ms), OffsetString(sq.offset_ms));
    }
    case NodeKind::kParen:
      return absl::StrCat("(", ExprToString(*static_cast<const ParenExpr&>(e).expr), ")");
    case NodeKind::kUnary: {
      auto& u = static_cast<const UnaryExpr&>(e);
      return absl::StrCat(u.op == TokenType::kSub ? "-" : "+", ExprToString(*u.expr));
    }
    case NodeKind::kBinary: {
      auto& b = static_cast<const BinaryExpr&>(e);
      std::string mod;
      if (b.return_bool) mod += " bool";
      if (b.matching) {
        const VectorMatching& vm = *b.matching;
        bool grouped = vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany;
        if (vm.on || !vm.labels.empty() || grouped) {
          absl::StrAppend(&mod, vm.on ? " on" : " ignoring", Grouping(vm.labels));
        }
        if (grouped) {
          absl::StrAppend(&mod, vm.card == Cardinality::kManyToOne ? " group_left" : " group_right",
                          Grouping(vm.include));
        }
      }
      return absl::StrCat(ExprToString(*b.lhs), " ", Sv(OpString(b.op)), mod, " ",
                          ExprToString(*b.rhs));
    }
    case NodeKind::kCall: {
      auto& c = static_cast<const Call&>(e);
      std::vector<std::string> args;
      for (const ExprPtr& a : c.args) args.push_back(ExprToString(*a));
      return absl::StrCat(Sv(c.func->name), "(", absl::StrJoin(args, ", "), ")");
    }
    case NodeKind::kAggregate: {
      auto& a = static_cast<const AggregateExpr&>(e);
      std::string s(AggOpName(a.op));
      if (a.without) {
        absl::StrAppend(&s, " without ", Grouping(a.grouping), " ");
      } else if (!a.grouping.empty()) {
        absl::StrAppend(&s, " by ", Grouping(a.grouping), " ");
      }
      s += "(";
      if (a.param) absl::StrAppend(&s, ExprToString(*a.param), ", ");
      absl::StrAppend(&s, ExprToString(*a.expr), ")");
      return s;
    }
  }
  return "";
}

}  // namespace strata::promql
