// The PromQL engine: evaluates queries against a Queryable (libs/model/queryable.h).
//
//   Engine engine(EngineOptions{.lookback_delta_ms = 5 * 60 * 1000});
//   absl::StatusOr<Result> r = engine.InstantQuery(storage, "sum by (job) (rate(x[5m]))", t_ms);
//   absl::StatusOr<Result> m = engine.RangeQuery(storage, "up", start_ms, end_ms, 15000);
//
// Errors: InvalidArgument for a bad query (parse or type errors, a range vector in a
// range query, a bad step), DeadlineExceeded when the timeout passes, Cancelled when
// the caller's cancel flag is raised, ResourceExhausted when the query would hold
// more than max_samples samples, Unknown for the evaluation errors Prometheus raises at
// run time (many-to-many matching, duplicate series, bad regex in label_replace, ...;
// the message is Prometheus' exact text), and any error the Queryable returns as is.
//
// The engine holds no per-query state; one Engine may run queries concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/model/queryable.h"
#include "libs/promql/engine/value.h"
#include "libs/promql/parser/ast.h"

namespace strata::promql {

struct EngineOptions {
  // How far back an instant vector selector looks for the latest sample.
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Step of subqueries written without one (`x[5m:]`).
  int64_t default_subquery_step_ms = 60 * 1000;
  // Most samples a query may hold in memory at once (Prometheus' query.max-samples).
  int64_t max_samples = 50'000'000;
  // Wall-clock limit per query; zero or negative means none.
  absl::Duration timeout = absl::Minutes(2);
  // Threads one query may use to evaluate range functions (rate, *_over_time, ...)
  // over its series; 0 = the machine's hardware threads. Small inputs use one.
  int max_parallelism = 0;
};

// Per-call options.
struct QueryOptions {
  // When non-null and set to true while the query runs, the query stops with Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // When positive, this query's wall-clock limit if shorter than
  // EngineOptions::timeout (an API request's `timeout` parameter).
  absl::Duration timeout = absl::ZeroDuration();
};

class Engine {
 public:
  explicit Engine(EngineOptions opts) : opts_(opts) {}

  const EngineOptions& options() const { return opts_; }

  // Evaluates `query` at `time_ms`. The result may be a vector, scalar, string or
  // (for a bare range selector or subquery) a matrix.
  absl::StatusOr<Result> InstantQuery(const Queryable& q, std::string_view query, int64_t time_ms,
                                      const QueryOptions& qo = {}) const;

  // Evaluates `query` at start, start+step, ... <= end. REQUIRES: step > 0, end >= start
  // (otherwise InvalidArgument). The expression must be a scalar or instant vector.
  absl::StatusOr<Result> RangeQuery(const Queryable& q, std::string_view query, int64_t start_ms,
                                    int64_t end_ms, int64_t step_ms,
                                    const QueryOptions& qo = {}) const;

  // The same on an already parsed expression; an instant query is start == end,
  // step ignored (pass 0). Instant queries return vector/scalar/string/matrix as
  // above; range queries a sorted matrix.
  absl::StatusOr<Result> Exec(const Queryable& q, const Expr& expr, int64_t start_ms,
                              int64_t end_ms, int64_t step_ms, bool instant,
                              const QueryOptions& qo = {}) const;

 private:
  EngineOptions opts_;
};

}  // namespace strata::promql
