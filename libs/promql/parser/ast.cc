#include "libs/promql/parser/ast.h"

namespace strata::promql {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

// Prometheus 2.42's function table (float functions and the native-histogram
// accessors that exist in that version).
const std::vector<FunctionInfo>& Functions() {
  static const auto* table = new std::vector<FunctionInfo>{
      {"abs", {V}}, {"absent", {V}}, {"absent_over_time", {M}},
      {"acos", {V}}, {"acosh", {V}}, {"asin", {V}}, {"asinh", {V}}, {"atan", {V}},
      {"atanh", {V}}, {"avg_over_time", {M}}, {"ceil", {V}}, {"changes", {M}},
      {"clamp", {V, S, S}}, {"clamp_max", {V, S}}, {"clamp_min", {V, S}},
      {"cos", {V}}, {"cosh", {V}}, {"count_over_time", {M}},
      {"days_in_month", {V}, 1}, {"day_of_month", {V}, 1}, {"day_of_week", {V}, 1},
      {"day_of_year", {V}, 1}, {"deg", {V}}, {"delta", {M}}, {"deriv", {M}},
      {"exp", {V}}, {"floor", {V}}, {"histogram_count", {V}}, {"histogram_sum", {V}},
      {"histogram_fraction", {S, S, V}}, {"histogram_quantile", {S, V}},
      {"holt_winters", {M, S, S}}, {"hour", {V}, 1}, {"idelta", {M}},
      {"increase", {M}}, {"irate", {M}}, {"label_replace", {V, Str, Str, Str, Str}},
      {"label_join", {V, Str, Str, Str}, -1}, {"last_over_time", {M}}, {"ln", {V}},
      {"log10", {V}}, {"log2", {V}}, {"max_over_time", {M}}, {"min_over_time", {M}},
      {"minute", {V}, 1}, {"month", {V}, 1}, {"pi", {}, 0, S},
      {"predict_linear", {M, S}}, {"present_over_time", {M}},
      {"quantile_over_time", {S, M}}, {"rad", {V}}, {"rate", {M}}, {"resets", {M}},
      {"round", {V, S}, 1}, {"scalar", {V}, 0, S}, {"sgn", {V}}, {"sin", {V}},
      {"sinh", {V}}, {"sort", {V}}, {"sort_desc", {V}}, {"sqrt", {V}},
      {"stddev_over_time", {M}}, {"stdvar_over_time", {M}}, {"sum_over_time", {M}},
      {"tan", {V}}, {"tanh", {V}}, {"time", {}, 0, S}, {"timestamp", {V}},
      {"vector", {S}}, {"year", {V}, 1},
  };
  return *table;
}

constexpr std::string_view kAggNames[] = {"sum",    "avg",    "count",  "min",
                                          "max",    "group",  "stddev", "stdvar",
                                          "topk",   "bottomk", "quantile", "count_values"};

}  // namespace

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "?";
}

ValueType Expr::Type() const {
  switch (kind) {
    case NodeKind::kNumber: return ValueType::kScalar;
    case NodeKind::kString: return ValueType::kString;
    case NodeKind::kVectorSelector: return ValueType::kVector;
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery: return ValueType::kMatrix;
    case NodeKind::kParen: return static_cast<const ParenExpr*>(this)->expr->Type();
    case NodeKind::kUnary: return static_cast<const UnaryExpr*>(this)->expr->Type();
    case NodeKind::kBinary: {
      auto* b = static_cast<const BinaryExpr*>(this);
      if (b->lhs->Type() == ValueType::kScalar && b->rhs->Type() == ValueType::kScalar) {
        return ValueType::kScalar;
      }
      return ValueType::kVector;
    }
    case NodeKind::kCall: return static_cast<const Call*>(this)->func->return_type;
    case NodeKind::kAggregate: return ValueType::kVector;
  }
  return ValueType::kNone;
}

const FunctionInfo* FindFunction(std::string_view name) {
  for (const FunctionInfo& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view AggOpName(AggOp op) { return kAggNames[static_cast<int>(op)]; }

std::optional<AggOp> AggOpFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kAggNames); ++i) {
    if (kAggNames[i] == name) return static_cast<AggOp>(i);
  }
  return std::nullopt;
}

bool IsComparisonOp(TokenType op) {
  switch (op) {
    case TokenType::kEql: case TokenType::kNeq: case TokenType::kLss:
    case TokenType::kGtr: case TokenType::kLte: case TokenType::kGte:
      return true;
    default:
      return false;
  }
}

bool IsSetOp(TokenType op) {
  return op == TokenType::kLand || op == TokenType::kLor || op == TokenType::kLunless;
}

std::string_view OpString(TokenType op) {
  switch (op) {
    case TokenType::kAdd: return "+";
    case TokenType::kSub: return "-";
    case TokenType::kMul: return "*";
    case TokenType::kDiv: return "/";
    case TokenType::kMod: return "%";
    case TokenType::kPow: return "^";
    case TokenType::kEql: return "==";
    case TokenType::kNeq: return "!=";
    case TokenType::kLss: return "<";
    case TokenType::kGtr: return ">";
    case TokenType::kLte: return "<=";
    case TokenType::kGte: return ">=";
    case TokenType::kLand: return "and";
    case TokenType::kLor: return "or";
    case TokenType::kLunless: return "unless";
    case TokenType::kAtan2: return "atan2";
    default: return "?";
  }
}

const Expr* Unparen(const Expr* e) {
  while (e->kind == NodeKind::kParen) e = static_cast<const ParenExpr*>(e)->expr.get();
  return e;
}

}  // namespace strata::promql
