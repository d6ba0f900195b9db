#include "libs/promql/engine/engine.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include <cmath>
#include <map>

#include "libs/promql/engine/evaluator.h"
#include "libs/promql/memory_storage.h"
#include "libs/promql/parser/parser.h"

namespace strata::promql {
namespace {

Labels L(std::vector<Label> pairs) { return *Labels::FromPairs(std::move(pairs)); }

// x{job="a",i="0"} and x{job="a",i="1"}: counters rising 1/s and 2/s, 15s apart, 1h.
MemoryStorage Counters() {
  MemoryStorage st;
  for (int i = 0; i < 2; ++i) {
    std::vector<Sample> s;
    for (int64_t t = 0; t <= 3600'000; t += 15'000) s.push_back({t, (i + 1) * t / 1000.0});
    st.Append(L({{"__name__", "x"}, {"job", "a"}, {"i", std::to_string(i)}}), s);
  }
  return st;
}

TEST_CASE("engine: instant vector and scalar results") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  auto r = e.InstantQuery(st, "sum by (job) (rate(x[5m]))", 3600'000);
  REQUIRE(r.ok());
  REQUIRE(r->type == ValueType::kVector);
  REQUIRE(r->vector.size() == 1);
  CHECK(r->vector[0].metric.ToString() == "{job=\"a\"}");
  CHECK(r->vector[0].v == Approx(3.0));
  CHECK(r->vector[0].t == 3600'000);

  auto s = e.InstantQuery(st, "scalar(x{i=\"0\"}) * 2", 60'000);
  REQUIRE(s.ok());
  REQUIRE(s->type == ValueType::kScalar);
  CHECK(s->scalar.v == 120);

  auto str = e.InstantQuery(st, "\"hello\"", 0);
  REQUIRE(str.ok());
  CHECK(str->type == ValueType::kString);
  CHECK(str->string.v == "hello");
}

TEST_CASE("engine: range query is sorted and one point per step") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  auto r = e.RangeQuery(st, "x", 0, 60'000, 15'000);
  REQUIRE(r.ok());
  REQUIRE(r->type == ValueType::kMatrix);
  REQUIRE(r->matrix.size() == 2);
  CHECK(r->matrix[0].metric.Get("i") == "0");
  REQUIRE(r->matrix[1].points.size() == 5);
  CHECK(r->matrix[1].points[4].t == 60'000);
  CHECK(r->matrix[1].points[4].v == 120);
  auto sc = e.RangeQuery(st, "time()", 0, 30'000, 10'000);
  REQUIRE(sc.ok());
  REQUIRE(sc->matrix.size() == 1);
  CHECK(sc->matrix[0].metric.empty());
  CHECK(sc->matrix[0].points.size() == 4);
}

TEST_CASE("engine: range vector at top level of an instant query") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  auto r = e.InstantQuery(st, "x{i=\"0\"}[1m]", 60'000);
  REQUIRE(r.ok());
  REQUIRE(r->type == ValueType::kMatrix);
  REQUIRE(r->matrix.size() == 1);
  CHECK(r->matrix[0].points.size() == 5);  // closed window [0, 60s]
}

TEST_CASE("engine: error codes") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  CHECK(e.InstantQuery(st, "sum(", 0).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(e.RangeQuery(st, "x[5m]", 0, 10, 1).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(e.RangeQuery(st, "x", 0, 10, 0).status().code() == absl::StatusCode::kInvalidArgument);
  auto mm = e.InstantQuery(st, "x + on(job) x", 60'000);
  REQUIRE(!mm.ok());
  CHECK(std::string(mm.status().message()).find("many-to-many matching not allowed") !=
        std::string::npos);
  auto dup = e.InstantQuery(st, "label_replace(x, \"i\", \"\", \"\", \"\")", 60'000);
  REQUIRE(!dup.ok());
  CHECK(std::string(dup.status().message()) == "vector cannot contain metrics with the same labelset");
}

TEST_CASE("engine: sample limit") {
  MemoryStorage st = Counters();
  EngineOptions o;
  o.max_samples = 100;
  Engine e(o);
  auto r = e.RangeQuery(st, "x", 0, 3600'000, 15'000);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(e.InstantQuery(st, "x", 0).ok());
}

TEST_CASE("engine: cancellation and timeout") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  std::atomic<bool> cancel{true};
  QueryOptions qo;
  qo.cancel = &cancel;
  auto r = e.RangeQuery(st, "sum(rate(x[5m]))", 0, 3600'000, 15'000, qo);
  CHECK(r.status().code() == absl::StatusCode::kCancelled);
  EngineOptions o;
  o.timeout = absl::Nanoseconds(1);
  Engine slow(o);
  auto t = slow.RangeQuery(st, "sum(rate(x[5m]))", 0, 3600'000, 15'000);
  CHECK(t.status().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("engine: staleness markers end a series") {
  MemoryStorage st;
  st.Append(L({{"__name__", "s"}}), {{0, 1}, {10'000, StaleNaN()}});
  Engine e(EngineOptions{});
  CHECK(e.InstantQuery(st, "s", 5'000)->vector.size() == 1);
  CHECK(e.InstantQuery(st, "s", 20'000)->vector.empty());
  CHECK(e.InstantQuery(st, "count_over_time(s[1m])", 20'000)->vector[0].v == 1);
}

TEST_CASE("engine: lookback delta is configurable") {
  MemoryStorage st;
  st.Append(L({{"__name__", "s"}}), {{0, 1}});
  EngineOptions o;
  o.lookback_delta_ms = 60'000;
  Engine e(o);
  CHECK(e.InstantQuery(st, "s", 60'000)->vector.size() == 1);
  CHECK(e.InstantQuery(st, "s", 60'001)->vector.empty());
}

TEST_CASE("engine: @ and offset") {
  MemoryStorage st = Counters();
  Engine e(EngineOptions{});
  auto r = e.RangeQuery(st, "x{i=\"0\"} @ 100", 0, 60'000, 30'000);
  REQUIRE(r.ok());
  for (const Sample& p : r->matrix[0].points) CHECK(p.v == 90);  // last sample <= 100s
  auto o = e.InstantQuery(st, "x{i=\"0\"} offset -1m", 60'000);
  CHECK(o->vector[0].v == 120);
  auto s = e.RangeQuery(st, "x{i=\"0\"} @ end()", 0, 60'000, 30'000);
  for (const Sample& p : s->matrix[0].points) CHECK(p.v == 60);
}

// Two answers to one query: both succeeded, same series in the same order, same
// points bit for bit.
void CheckSameAnswer(const absl::StatusOr<Result>& a, const absl::StatusOr<Result>& b) {
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->matrix.size() == b->matrix.size());
  for (size_t k = 0; k < a->matrix.size(); ++k) {
    CHECK(a->matrix[k].metric == b->matrix[k].metric);
    CHECK(a->matrix[k].points == b->matrix[k].points);
  }
}

// Range functions run over series, and aggregations over steps, on several threads
// once the input is large: the answer must be the one a single thread gives, bit for
// bit, errors included.
TEST_CASE("engine: parallel range functions answer as one thread does") {
  MemoryStorage st;
  for (int i = 0; i < 1500; ++i) {
    std::vector<Sample> s;
    double v = 0;
    for (int64_t t = 0; t <= 3600'000; t += 15'000) {
      v = (t / 15'000 + i) % 97 == 0 ? 0 : v + (i % 13) + 0.25;  // resets now and then
      s.push_back({t, v});
    }
    st.Append(L({{"__name__", "x"}, {"job", std::to_string(i % 7)}, {"i", std::to_string(i)}}), s);
  }
  EngineOptions one;
  one.max_parallelism = 1;
  EngineOptions four;
  four.max_parallelism = 4;
  Engine e1(one), e4(four);
  for (const char* q : {"rate(x[5m])", "sum by (job) (increase(x[2m]))", "quantile_over_time(0.9, x[10m])",
                        "max_over_time(x[1m]) - min_over_time(x[1m])", "x", "count by (job) (x offset 1m)",
                        "timestamp(x)", "sum(rate(x[5m]))", "avg by (job) (rate(x[1m]))",
                        "stddev without (i) (x)", "max by (job) (x)"}) {
    INFO(q);
    auto a = e1.RangeQuery(st, q, 0, 3600'000, 15'000);
    auto b = e4.RangeQuery(st, q, 0, 3600'000, 15'000);
    CheckSameAnswer(a, b);
  }
  // The engine reads in-memory arrays directly; the sample-by-sample path that other
  // iterators take must answer the same.
  MemoryStorage streamed;
  streamed.set_contiguous_iterators(false);
  for (int i = 0; i < 300; ++i) {
    std::vector<Sample> s;
    for (int64_t t = (i % 5) * 7'000; t <= 3600'000; t += 15'000 + (i % 3) * 1'000) {
      s.push_back({t, (t / 15'000 + i) % 11 == 0 ? StaleNaN() : static_cast<double>((t / 1000 + i) % 97)});
    }
    const Labels l = L({{"__name__", "y"}, {"i", std::to_string(i)}});
    st.Append(l, s);
    streamed.Append(l, s);
  }
  for (const char* q : {"y", "rate(y[5m])", "y offset 30s", "timestamp(y)", "sum(y @ 1800)", "max_over_time(y[2m])",
                        "y[5m:1m]"}) {
    INFO(q);
    for (int64_t step : {15'000, 60'000}) {
      auto a = e1.RangeQuery(st, q, 0, 3600'000, step);
      auto b = e1.RangeQuery(streamed, q, 0, 3600'000, step);
      if (std::string(q) == "y[5m:1m]") {
        CHECK_FALSE(a.ok());  // a range vector is not a valid range query: same error
        CHECK(a.status() == b.status());
        continue;
      }
      CheckSameAnswer(a, b);
    }
  }

  // Aggregations over a range function take its values as they are computed
  // (FusedAggregation). `* 1` keeps every value but forces the unfused path, which
  // builds the whole intermediate matrix: both must answer alike, group order too.
  for (int i = 0; i < 40; ++i) {
    // Late series: their groups' first series have no points in early steps.
    std::vector<Sample> s;
    for (int64_t t = 1800'000 + i * 15'000; t <= 3600'000; t += 15'000) s.push_back({t, double(t / 1000 % 7)});
    st.Append(L({{"__name__", "late"}, {"job", std::to_string(i % 9)}, {"i", std::to_string(i)}}), s);
  }
  for (const char* agg : {"sum", "avg by (job)", "count without (i)", "min by (job)", "max", "group by (job)",
                          "stddev by (job)", "stdvar"}) {
    for (const char* fn : {"rate(x[5m])", "increase(late[2m])", "max_over_time(late[1m])",
                           "quantile_over_time(0.5, x[3m])", "predict_linear(late[5m], 60)", "x", "late",
                           "x offset 1m", "late @ 3000", "y", "rate(x[5m] offset 1m)", "increase(late[2m] @ 3000)",
                           "delta(x[3m])", "rate(y[2m])"}) {
      const std::string fused = absl::StrCat(agg, " (", fn, ")"), plain = absl::StrCat(agg, " (", fn, " * 1)");
      INFO(fused);
      auto a = e4.RangeQuery(st, fused, 0, 3600'000, 15'000);
      auto b = e4.RangeQuery(st, plain, 0, 3600'000, 15'000);
      CheckSameAnswer(a, b);
    }
  }
  // An aggregation over a selector is fused too; label_replace (a no-op here) keeps
  // the metric name but forces the unfused path.
  for (const char* agg : {"count by (__name__)", "sum by (__name__, job)", "max"}) {
    const std::string fused = absl::StrCat(agg, " ({__name__=~\"x|late|y\"})");
    const std::string plain = absl::StrCat(agg, " (label_replace({__name__=~\"x|late|y\"}, \"a\", \"\", \"\", \"\"))");
    INFO(fused);
    for (int64_t step : {15'000, 60'000, 7'000}) {
      auto a = e4.RangeQuery(st, fused, 0, 3600'000, step);
      auto b = e4.RangeQuery(st, plain, 0, 3600'000, step);
      REQUIRE(a.ok());
      CHECK(!a->matrix.empty());
      CheckSameAnswer(a, b);
      CheckSameAnswer(a, e1.RangeQuery(st, fused, 0, 3600'000, step));
    }
  }
  // More groups x steps than one state each can hold (4e6): the fused path gives up
  // after it has taken each series' labels, and the unfused one must still see them.
  {
    MemoryStorage many;
    for (int i = 0; i < 1150; ++i) {
      std::vector<Sample> s;
      for (int64_t t = 0; t <= 3600'000; t += 15'000) s.push_back({t, double(t / 1000 + i)});
      many.Append(L({{"__name__", "w"}, {"i", std::to_string(i)}}), s);
    }
    for (const char* fn : {"rate(w[5m])", "last_over_time(w[1m])", "w"}) {
      const std::string fused = absl::StrCat("sum by (i) (", fn, ")");
      const std::string plain = absl::StrCat("sum by (i) (", fn, " * 1)");
      INFO(fused);
      auto a = e4.RangeQuery(many, fused, 0, 3600'000, 1'000);
      auto b = e4.RangeQuery(many, plain, 0, 3600'000, 1'000);
      REQUIRE(a.ok());
      REQUIRE(a->matrix.size() == 1150);
      CheckSameAnswer(a, b);
    }
    // A deadline that passes while threads compute and add blocks of series: the
    // error comes back (threads waiting to run ahead give up too), never a hang.
    EngineOptions quick = four;
    quick.timeout = absl::Milliseconds(3);
    Engine hurried(quick);
    for (int i = 0; i < 10; ++i) {
      auto r = hurried.RangeQuery(many, "sum(rate(w[5m]))", 0, 3600'000, 1'000);
      CHECK((r.ok() || r.status().code() == absl::StatusCode::kDeadlineExceeded));
    }
  }
  // Series that only differ by name collide once the name is dropped, fused or not.
  st.Append(L({{"__name__", "z"}, {"job", "0"}, {"i", "0"}}), {{60'000, 1}, {75'000, 2}});
  auto clash = e4.RangeQuery(st, "sum(rate({__name__=~\"x|z\"}[5m]))", 0, 3600'000, 15'000);
  CHECK(clash.status().code() == absl::StatusCode::kUnknown);
  CHECK(std::string(clash.status().message()).find("same labelset") != std::string::npos);

  // An error in a worker thread reaches the caller as the query's error.
  auto dup = e4.RangeQuery(st, "rate(label_replace(x, \"i\", \"\", \"\", \"\")[5m:1m])", 0, 3600'000, 15'000);
  CHECK_FALSE(dup.ok());
  EngineOptions timeout = four;
  timeout.timeout = absl::Nanoseconds(1);
  Engine slow(timeout);
  CHECK(slow.RangeQuery(st, "rate(x[5m])", 0, 3600'000, 15'000).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
}

// Series whose samples cannot be read, as a fan-out series with a corrupt block:
// ContiguousAvailable() says yes, Contiguous() then fails with the error.
class BrokenIterator : public SeriesIterator {
 public:
  bool Next() override { return false; }
  bool Seek(int64_t) override { return false; }
  Sample At() const override { return {}; }
  absl::Status status() const override { return absl::DataLossError("corrupt block"); }
  bool ContiguousAvailable() const override { return true; }
  bool Contiguous(std::span<const Sample>*) const override { return false; }
};

class BrokenStore : public Queryable, public Querier {
 public:
  absl::StatusOr<std::unique_ptr<Querier>> NewQuerier(int64_t, int64_t) const override {
    return std::make_unique<BrokenStore>();
  }
  std::unique_ptr<SeriesSet> Select(bool, const SelectHints*, const Matchers&) override {
    class Set : public SeriesSet, public Series {
     public:
      bool Next() override { return ++i_ <= 3; }
      const Series& At() const override { return *this; }
      absl::Status status() const override { return absl::OkStatus(); }
      const Labels& labels() const override { return labels_; }
      std::unique_ptr<SeriesIterator> Iterator() const override { return std::make_unique<BrokenIterator>(); }
      Labels TakeLabels() override { return L({{"__name__", "x"}, {"i", std::to_string(i_)}}); }

     private:
      int i_ = 0;
      Labels labels_ = L({{"__name__", "x"}});
    };
    return std::make_unique<Set>();
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string&, const Matchers&) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers&) override {
    return std::vector<std::string>{};
  }
};

// topk and bottomk run over whole matrices (AggregateTopkMatrix); the answer must be
// the one AggregateStep gives step by step: the same series among ties and NaN, in
// the same order, with k read at each step.
TEST_CASE("engine: topk and bottomk pick what step-by-step aggregation picks, ties and NaN included") {
  MemoryStorage st;
  for (int i = 0; i < 30; ++i) {
    std::vector<Sample> s;
    for (int64_t t = 0; t <= 600'000; t += 15'000) {
      const int64_t k = t / 15'000;
      if ((k + i) % 7 == 3) continue;                                             // gaps
      s.push_back({t, (k + i) % 11 == 0 ? std::nan("") : double((k * 3 + i * 5) % 4)});  // ties
    }
    st.Append(L({{"__name__", "x"}, {"job", std::to_string(i % 3)}, {"i", std::to_string(i)}}), s);
  }
  std::vector<Sample> ks;
  for (int64_t t = 0; t <= 600'000; t += 15'000) ks.push_back({t, double(t / 15'000 % 5)});  // k from 0 to 4
  st.Append(L({{"__name__", "k"}}), ks);
  Engine e(EngineOptions{});
  struct Case {
    const char* query;
    const char* param;  // k as an instant query
  };
  for (const Case& c : {Case{"topk(3, x)", "3"}, Case{"bottomk(2, x)", "2"}, Case{"topk by (job) (2, x)", "2"},
                        Case{"bottomk without (i) (1, x)", "1"}, Case{"topk(scalar(k), x)", "scalar(k)"},
                        Case{"bottomk by (job) (scalar(k), x)", "scalar(k)"}, Case{"topk(2.9, x)", "2.9"},
                        Case{"topk(1e30, x)", "1e30"}, Case{"topk(0, x)", "0"}, Case{"topk(NaN, x)", "NaN"}}) {
    INFO(c.query);
    auto parsed = ParseExpr(c.query);
    REQUIRE(parsed.ok());
    const auto& agg = static_cast<const AggregateExpr&>(**parsed);
    std::map<std::string, std::vector<Sample>> expected;
    for (int64_t t = 0; t <= 600'000; t += 15'000) {
      auto in = e.InstantQuery(st, "x", t);
      auto k = e.InstantQuery(st, c.param, t);
      REQUIRE(in.ok());
      REQUIRE(k.ok());
      const Vector want = AggregateStep(agg, in->vector, k->scalar.v, "");
      auto got = e.InstantQuery(st, c.query, t);
      REQUIRE(got.ok());
      REQUIRE(got->vector.size() == want.size());
      for (size_t j = 0; j < want.size(); ++j) {
        CHECK(got->vector[j].metric == want[j].metric);
        CHECK((got->vector[j].v == want[j].v || (std::isnan(got->vector[j].v) && std::isnan(want[j].v))));
      }
      for (const VectorSample& s : want) expected[s.metric.ToString()].push_back({t, s.v});
    }
    auto range = e.RangeQuery(st, c.query, 0, 600'000, 15'000);
    REQUIRE(range.ok());
    REQUIRE(range->matrix.size() == expected.size());
    for (const SeriesPoints& s : range->matrix) {
      const std::vector<Sample>& want = expected[s.metric.ToString()];
      REQUIRE(s.points.size() == want.size());
      for (size_t j = 0; j < want.size(); ++j) {
        CHECK(s.points[j].t == want[j].t);
        CHECK((s.points[j].v == want[j].v || (std::isnan(s.points[j].v) && std::isnan(want[j].v))));
      }
    }
  }
}

TEST_CASE("engine: a series that cannot be read fails the query with its error") {
  BrokenStore st;
  Engine e{EngineOptions{}};
  for (const char* q : {"x", "rate(x[5m])", "sum(rate(x[5m]))", "count(x)", "max_over_time(x[5m])",
                        "sum(max_over_time(x[5m]))"}) {
    INFO(q);
    auto r = e.RangeQuery(st, q, 0, 3600'000, 15'000);
    CHECK(r.status().code() == absl::StatusCode::kDataLoss);
    CHECK(r.status().message() == "corrupt block");
    auto i = e.InstantQuery(st, q, 3600'000);
    CHECK(i.status().code() == absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace strata::promql
