#include "libs/promql/parser/parser.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "libs/promql/parser/printer.h"

namespace strata::promql {
namespace {

std::string Err(std::string_view q) {
  auto r = ParseExpr(q);
  if (r.ok()) return "OK";
  return std::string(r.status().message());
}

double Num(std::string_view q) {
  auto r = ParseExpr(q);
  REQUIRE(r.ok());
  REQUIRE((*r)->kind == NodeKind::kNumber);
  return static_cast<const NumberLiteral&>(**r).value;
}

TEST_CASE("parser: number literals") {
  CHECK(Num("1") == 1);
  CHECK(Num("0x1f") == 31);
  CHECK(Num("010") == 8);  // Go's ParseInt base 0
  CHECK(Num("1.5e3") == 1500);
  CHECK(Num("-2") == -2);
  CHECK(std::isinf(Num("+Inf")));
  CHECK(Num("-inf") < 0);
  CHECK(std::isnan(Num("NaN")));
  CHECK(Num(".5") == 0.5);
}

TEST_CASE("parser: precedence and associativity") {
  auto e = *ParseExpr("1 + 2 * 3 ^ 2 ^ 2");
  CHECK(ExprToString(*e) == "1 + 2 * 3 ^ 2 ^ 2");
  auto& b = static_cast<const BinaryExpr&>(*e);
  CHECK(b.op == TokenType::kAdd);
  auto& mul = static_cast<const BinaryExpr&>(*b.rhs);
  CHECK(mul.op == TokenType::kMul);
  auto& pow = static_cast<const BinaryExpr&>(*mul.rhs);
  CHECK(pow.rhs->kind == NodeKind::kBinary);  // right-associative
  auto e2 = *ParseExpr("a - b - c");
  CHECK(static_cast<const BinaryExpr&>(*e2).lhs->kind == NodeKind::kBinary);
  auto e3 = *ParseExpr("-2 ^ 2");
  CHECK(e3->kind == NodeKind::kUnary);
  auto e4 = *ParseExpr("a or b and c unless d");
  CHECK(static_cast<const BinaryExpr&>(*e4).op == TokenType::kLor);
}

TEST_CASE("parser: selectors and modifiers") {
  auto e = *ParseExpr("foo{a=\"b\", c!~'d.*',}[5m] offset -1h @ 100");
  REQUIRE(e->kind == NodeKind::kMatrixSelector);
  auto& ms = static_cast<const MatrixSelector&>(*e);
  CHECK(ms.range_ms == 300000);
  auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
  CHECK(vs.offset_ms == -3600000);
  CHECK(vs.at == AtKind::kTimestamp);
  CHECK(vs.at_ms == 100000);
  CHECK(vs.matchers.size() == 3);
  auto sq = *ParseExpr("rate(x[1m])[5m:] @ end()");
  REQUIRE(sq->kind == NodeKind::kSubquery);
  CHECK(static_cast<const SubqueryExpr&>(*sq).at == AtKind::kEnd);
  CHECK(static_cast<const SubqueryExpr&>(*sq).step_ms == 0);
}

TEST_CASE("parser: aggregations with modifiers before or after") {
  auto a = *ParseExpr("sum(x) by (job)");
  auto b = *ParseExpr("sum by (job) (x)");
  CHECK(ExprToString(*a) == ExprToString(*b));
  auto t = *ParseExpr("topk without (i) (3, x)");
  auto& agg = static_cast<const AggregateExpr&>(*t);
  CHECK(agg.op == AggOp::kTopk);
  CHECK(agg.without);
  CHECK(agg.param != nullptr);
}

TEST_CASE("parser: vector matching") {
  auto e = *ParseExpr("a / on(x, y) group_left(z) b");
  auto& b = static_cast<const BinaryExpr&>(*e);
  REQUIRE(b.matching);
  CHECK(b.matching->on);
  CHECK(b.matching->card == Cardinality::kManyToOne);
  CHECK(b.matching->include == std::vector<std::string>{"z"});
  auto s = *ParseExpr("a and b");
  CHECK(static_cast<const BinaryExpr&>(*s).matching->card == Cardinality::kManyToMany);
  auto sc = *ParseExpr("a + 1");
  CHECK(!static_cast<const BinaryExpr&>(*sc).matching);
}

TEST_CASE("parser: errors with positions") {
  CHECK(Err("") == "1:1: parse error: no expression found in input");
  CHECK(Err("foo{}") == "OK");
  CHECK(Err("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(Err("{x=\"\"}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(Err("foo{__name__=\"bar\"}") == "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  CHECK(Err("sum(x") == "1:6: parse error: unexpected end of input in aggregation, expected \",\" or \")\"");
  CHECK(Err("1 == 1") == "1:1: parse error: comparisons between scalars must use BOOL modifier");
  CHECK(Err("a + bool b") == "1:1: parse error: bool modifier can only be used on comparison operators");
  CHECK(Err("1 and 1") == "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  CHECK(Err("a and on(x) group_left b") == "1:1: parse error: no grouping allowed for \"and\" operation");
  CHECK(Err("rate(x)") == "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
  CHECK(Err("rate(x[5m], 1)") == "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 2");
  CHECK(Err("round()") == "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0");
  CHECK(Err("foo(x)") == "1:1: parse error: unknown function with name \"foo\"");
  CHECK(Err("sum(x[5m])") == "1:5: parse error: expected type instant vector in aggregation expression, got range vector");
  CHECK(Err("topk(x)") == "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
  CHECK(Err("count_values(1, x)") == "1:14: parse error: expected type string in aggregation parameter, got scalar");
  CHECK(Err("(x)[5m]") == "1:4: parse error: ranges only allowed for vector selectors");
  CHECK(Err("sum(x) offset 5m") == "1:8: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
  CHECK(Err("x offset 5m offset 1m") == "1:13: parse error: offset may not be set multiple times");
  CHECK(Err("x[5m] + 1") == "1:1: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(Err("-\"a\"") == "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\"");
  CHECK(Err("x[5]") == "1:3: parse error: unexpected number \"5\" in range or subquery, expected duration");
  CHECK(Err("a / on(x) group_left(x) b") == "1:1: parse error: label \"x\" must not occur in ON and GROUP clause at once");
}

TEST_CASE("parser: nesting depth is bounded") {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  CHECK(Err(deep).find("expression nesting too deep") != std::string::npos);
  std::string chain = "x";
  for (int i = 0; i < 3000; ++i) chain += " + x";
  CHECK(Err(chain).find("expression nesting too deep") != std::string::npos);
  std::string ok(200, '(');
  ok += "1";
  ok += std::string(200, ')');
  CHECK(Err(ok) == "OK");
}

TEST_CASE("parser: keywords usable as metric and label names") {
  CHECK(Err("start") == "OK");
  CHECK(Err("sum by (on, bool) (x)") == "OK");
  CHECK(Err("x{by=\"1\"}") == "OK");
}

TEST_CASE("parser: ParseMetric") {
  auto ls = ParseMetric("http_requests{job=\"api\", instance='0'}");
  REQUIRE(ls.ok());
  CHECK(ls->ToString() == "http_requests{instance=\"0\", job=\"api\"}");
  CHECK(ParseMetric("{a=\"b\"}")->ToString() == "{a=\"b\"}");
  CHECK(!ParseMetric("x{a=~\"b\"}").ok());
}

}  // namespace
}  // namespace strata::promql
