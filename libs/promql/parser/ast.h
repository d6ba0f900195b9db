// The PromQL abstract syntax tree produced by parser.h and printed by printer.h.
//
//   absl::StatusOr<ExprPtr> e = ParseExpr("sum by (job) (rate(x[5m]))");
//   if ((*e)->kind == NodeKind::kAggregate) {
//     auto& agg = static_cast<const AggregateExpr&>(**e);  // agg.op == AggOp::kSum
//   }
//
// Nodes are plain structs owned through unique_ptr; `kind` tells which struct a
// node is. Types follow Prometheus: scalar, instant vector, range vector, string.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/model/matcher.h"
#include "libs/promql/parser/token.h"

namespace strata::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// "scalar", "instant vector", "range vector", "string" (Prometheus' names).
std::string_view ValueTypeName(ValueType t);

enum class NodeKind {
  kNumber, kString, kVectorSelector, kMatrixSelector, kSubquery,
  kParen, kUnary, kBinary, kCall, kAggregate,
};

struct Expr {
  explicit Expr(NodeKind k) : kind(k) {}
  virtual ~Expr() = default;
  // The type this expression evaluates to.
  ValueType Type() const;

  NodeKind kind;
  PosRange pos;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral : Expr {
  NumberLiteral() : Expr(NodeKind::kNumber) {}
  double value = 0;
};

struct StringLiteral : Expr {
  StringLiteral() : Expr(NodeKind::kString) {}
  std::string value;
};

// The @ modifier of a selector or subquery.
enum class AtKind { kNone, kTimestamp, kStart, kEnd };

struct VectorSelector : Expr {
  VectorSelector() : Expr(NodeKind::kVectorSelector) {}
  std::string name;          // metric name given outside the braces, or ""
  Matchers matchers;         // all matchers, including the __name__ one
  int64_t offset_ms = 0;     // positive looks back in time
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;         // for AtKind::kTimestamp
};

struct MatrixSelector : Expr {
  MatrixSelector() : Expr(NodeKind::kMatrixSelector) {}
  ExprPtr vector_selector;   // a VectorSelector (carries offset and @)
  int64_t range_ms = 0;
};

struct SubqueryExpr : Expr {
  SubqueryExpr() : Expr(NodeKind::kSubquery) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;       // 0 when omitted (the engine's default step is used)
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;
};

struct ParenExpr : Expr {
  ParenExpr() : Expr(NodeKind::kParen) {}
  ExprPtr expr;
};

struct UnaryExpr : Expr {
  UnaryExpr() : Expr(NodeKind::kUnary) {}
  TokenType op = TokenType::kSub;  // kAdd or kSub
  ExprPtr expr;
};

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                   // on(...) rather than ignoring(...)
  std::vector<std::string> labels;   // the on/ignoring labels
  std::vector<std::string> include;  // group_left/group_right extra labels
  bool explicit_matching = false;    // on/ignoring was written
};

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(NodeKind::kBinary) {}
  TokenType op = TokenType::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;
  // Set when both sides are instant vectors.
  std::optional<VectorMatching> matching;
};

// Static description of a PromQL function (see functions table in parser.cc).
struct FunctionInfo {
  std::string_view name;
  std::vector<ValueType> arg_types;
  int variadic = 0;  // 0: fixed; >0: that many trailing optional args; -1: unlimited
  ValueType return_type = ValueType::kVector;
};

// Looks up a function by name; nullptr when unknown.
const FunctionInfo* FindFunction(std::string_view name);

struct Call : Expr {
  Call() : Expr(NodeKind::kCall) {}
  const FunctionInfo* func = nullptr;
  std::vector<ExprPtr> args;
};

enum class AggOp {
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar,
  kTopk, kBottomk, kQuantile, kCountValues,
};

// "sum", "avg", ... ; and the reverse lookup (nullopt when not an aggregator).
std::string_view AggOpName(AggOp op);
std::optional<AggOp> AggOpFromName(std::string_view name);

struct AggregateExpr : Expr {
  AggregateExpr() : Expr(NodeKind::kAggregate) {}
  AggOp op = AggOp::kSum;
  ExprPtr expr;
  ExprPtr param;                     // topk/bottomk/quantile/count_values only
  std::vector<std::string> grouping;
  bool without = false;
};

// True for comparison operators (== != < > <= >=) and set operators (and or unless).
bool IsComparisonOp(TokenType op);
bool IsSetOp(TokenType op);
// The operator's spelling, e.g. "+", "and", "atan2".
std::string_view OpString(TokenType op);

// The expression with parentheses removed at the top.
const Expr* Unparen(const Expr* e);

}  // namespace strata::promql
