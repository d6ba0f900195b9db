#include "libs/promql/functions/aggregate.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace strata::promql::fn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Avg(std::vector<double> v) {
  AvgAggregator a;
  for (double x : v) a.Add(x);
  return a.Result();
}

TEST_CASE("avg aggregation with infinities and overflow", "[aggregate]") {
  // aggregators.test "Tests for avg".
  CHECK(Avg({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) == Approx(4.5));
  CHECK(Avg({0, 1, 2, kInf}) == kInf);
  CHECK(Avg({kInf, 0, 1, 2}) == kInf);
  CHECK(std::isnan(Avg({kInf, -kInf, 1})));
  CHECK(Avg({0, -kInf}) == -kInf);
  CHECK(std::isnan(Avg({kNaN, 1})));
  CHECK(std::isnan(Avg({1, kNaN})));
  const double big = 9.988465674311579e+307;
  CHECK(Avg({big, big, big, big}) == Approx(big));
  CHECK(Avg({-big, -big, -big, -big}) == Approx(-big));
  CHECK(Avg({big, -big, big, -big}) == 0);
  AvgAggregator a;
  a.Add(3);
  CHECK(a.count() == 1);
  CHECK(a.Result() == 3);
}

TEST_CASE("sum aggregation is plain addition in input order", "[aggregate]") {
  SumAggregator s;
  for (double v : {1.0, 1e100, 1.0, -1e100}) s.Add(v);
  CHECK(s.Result() == 0);  // no compensation in 2.42's sum()
  CHECK(s.count() == 4);
  SumAggregator t;
  t.Add(-0.0);
  CHECK(std::signbit(t.Result()));
}

TEST_CASE("stddev and stdvar aggregations", "[aggregate]") {
  // aggregators.test: http_requests at 50m are 100..800 step 100 -> stdvar 52500.
  VarianceAggregator v;
  for (double x : {100, 200, 300, 400, 500, 600, 700, 800}) v.Add(x);
  CHECK(v.Stdvar() == Approx(52500));
  CHECK(v.Stddev() == Approx(229.12878474779));
  // The first sample seeds the state: a lone Inf has variance 0 here.
  VarianceAggregator one;
  one.Add(kInf);
  CHECK(one.Stdvar() == 0);
  VarianceAggregator same;
  for (int i = 0; i < 3; ++i) same.Add(1.5990505637277868);
  CHECK(same.Stdvar() == 0);
}

}  // namespace
}  // namespace strata::promql::fn
