// PromQL parser: query text -> AST (ast.h), with Prometheus 2.42's grammar, type
// checks and error texts.
//
//   absl::StatusOr<ExprPtr> e = ParseExpr("rate(http_requests_total[5m]) > 0");
//   if (!e.ok()) {
//     // InvalidArgument, e.g. "1:6: parse error: unexpected end of input"
//   }
//
// Errors carry "line:col" of the offending token and say what was expected.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/promql/parser/ast.h"

namespace strata::promql {

// Parses and type-checks a full expression.
absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

// Parses a series description of the test-script format: `name{l="v", ...}`,
// `name` or `{l="v"}` (equality matchers only) into a label set.
absl::StatusOr<Labels> ParseMetric(std::string_view input);

}  // namespace strata::promql
