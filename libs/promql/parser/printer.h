// Turns a PromQL AST back into query text, the way Prometheus' String() methods do.
//
//   ExprPtr e = *ParseExpr("sum(rate(x{a='b'}[5m]))by(job)");
//   ExprToString(*e) == "sum by (job) (rate(x{a=\"b\"}[5m]))"
//
// Parsing the printed text gives the same tree again (round trip).
#pragma once

#include <string>

#include "libs/promql/parser/ast.h"

namespace strata::promql {

std::string ExprToString(const Expr& e);

// Float in PromQL syntax: "1.5", "1e+06", "+Inf", "-Inf", "NaN".
std::string FormatNumber(double v);

}  // namespace strata::promql
