#include "libs/promql/parser/printer.h"

#include <catch2/catch.hpp>

#include "libs/promql/parser/parser.h"

namespace strata::promql {
namespace {

TEST_CASE("printer: canonical forms") {
  auto p = [](std::string_view q) { return ExprToString(**ParseExpr(q)); };
  CHECK(p("sum(rate(x{a='b'}[5m]))by(job)") == "sum by (job) (rate(x{a=\"b\"}[5m]))");
  CHECK(p("foo offset 1h30m") == "foo offset 1h30m");
  CHECK(p("foo[5m] offset -1m @ 10") == "foo[5m] @ 10.000 offset -1m");
  CHECK(p("x[10m:1m]") == "x[10m:1m]");
  CHECK(p("a + on(b) group_left(c) d") == "a + on(b) group_left(c) d");
  CHECK(p("a > bool ignoring(b) d") == "a > bool ignoring(b) d");
  CHECK(p("count_values(\"v\", x)") == "count_values(\"v\", x)");
  CHECK(p("-(x)") == "-(x)");
  CHECK(p("1e6") == "1000000");
  CHECK(p("1.5e-7") == "1.5e-07");
  CHECK(p("{__name__=~\"a.*\"}") == "{__name__=~\"a.*\"}");
}

TEST_CASE("printer: round trip") {
  const char* queries[] = {
      "sum without (instance) (rate(http_requests_total{job=~\"api|web\"}[5m] offset 1w))",
      "histogram_quantile(0.9, sum by (le) (rate(b[5m])))",
      "topk(3, x) or on() vector(1)",
      "a / ignoring(x) group_right(y, z) b ^ 2 ^ -3",
      "max_over_time(deriv(rate(x[1m])[5m:30s] @ start())[10m:])",
      "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")",
      "-x unless y",
      "time() - timestamp(x @ 1.5)",
      "count_values without (a) (\"b\", c)",
      "quantile(0.5, x) > bool 1",
      "round(x, 0.1) % 3 atan2 y",
      "x{a!=\"\\n\"}",
      "1 + -Inf",
  };
  for (const char* q : queries) {
    auto e1 = ParseExpr(q);
    REQUIRE(e1.ok());
    std::string s1 = ExprToString(**e1);
    auto e2 = ParseExpr(s1);
    INFO(q << " -> " << s1);
    REQUIRE(e2.ok());
    CHECK(ExprToString(**e2) == s1);
  }
}

}  // namespace
}  // namespace strata::promql
