// Query results of the PromQL engine (engine.h), shaped like Prometheus' API values.
//
//   absl::StatusOr<Result> r = engine.InstantQuery(storage, "up", t_ms);
//   switch (r->type) {
//     case ValueType::kVector: for (const VectorSample& s : r->vector) use(s.metric, s.v); break;
//     case ValueType::kMatrix: for (const SeriesPoints& s : r->matrix) use(s.metric, s.points); break;
//     case ValueType::kScalar: use(r->scalar.t, r->scalar.v); break;
//     case ValueType::kString: use(r->string.t, r->string.v); break;
//   }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/promql/parser/ast.h"

namespace strata::promql {

// One element of an instant vector.
struct VectorSample {
  Labels metric;
  int64_t t = 0;  // ms
  double v = 0;
};
using Vector = std::vector<VectorSample>;

// One series of a range vector / range query result: points sorted by time.
struct SeriesPoints {
  Labels metric;
  std::vector<Sample> points;
};
using Matrix = std::vector<SeriesPoints>;

struct ScalarValue {
  int64_t t = 0;
  double v = 0;
};

struct StringValue {
  int64_t t = 0;
  std::string v;
};

// The value of a query. Exactly the member named by `type` is meaningful. Range
// queries always return kMatrix, sorted by labels (a scalar query gives one series
// with no labels). Instant queries keep the order the expression produced (e.g.
// sort_desc()).
struct Result {
  ValueType type = ValueType::kNone;
  Vector vector;
  Matrix matrix;
  ScalarValue scalar;
  StringValue string;
  std::vector<std::string> warnings;
  // Most samples the evaluation held in memory at once (what max_samples limits).
  int64_t peak_samples = 0;
};

}  // namespace strata::promql
