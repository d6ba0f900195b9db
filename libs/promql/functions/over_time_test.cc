#include "libs/promql/functions/over_time.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "libs/promql/functions/test_samples.h"

namespace strata::promql::fn {
namespace {

using namespace testing;

std::vector<Sample> S(std::initializer_list<double> v) { return Series(10'000, v); }

TEST_CASE("avg_over_time and sum_over_time with infinities and huge values", "[over_time]") {
  struct Case {
    std::vector<Sample> s;
    double avg;
    double sum;
  };
  const double big = 9.988465674311579e+307;
  std::vector<Case> cases = {
      {S({1, 2, 3, 4, 5}), 3, 15},
      {S({1, 2, 3, 4, kInf}), kInf, kInf},
      {S({1, 2, 3, 4, -kInf}), -kInf, -kInf},
      {S({1, 2, 3, kInf, -kInf}), kNaN, kNaN},
      {S({kInf, 0, kInf}), kInf, kInf},
      {S({kInf, kInf, kInf, -kInf}), kNaN, kNaN},
      {S({1, 2, 3, -kInf, -kInf}), -kInf, -kInf},
      {S({-kInf, 0, -kInf}), -kInf, -kInf},
      {S({-kInf, -kInf, -kInf, kInf}), kNaN, kNaN},
      {S({1, 2, -kInf, -kInf, kInf}), kNaN, kNaN},
      // The mean of values near the float64 limit does not overflow; their sum does.
      {S({big, big}), big, kInf},
      {S({-big, -big, -big}), -big, -kInf},
      {S({-big, big}), 0, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    double avg = *AvgOverTime(cases[i].s);
    double sum = *SumOverTime(cases[i].s);
    if (std::isnan(cases[i].avg)) {
      CHECK(std::isnan(avg));
    } else {
      CHECK(avg == Approx(cases[i].avg));
    }
    if (std::isnan(cases[i].sum)) {
      CHECK(std::isnan(sum));
    } else {
      CHECK(sum == Approx(cases[i].sum));
    }
  }
}

TEST_CASE("sum_over_time and avg_over_time are Kahan-compensated in 2.42", "[over_time]") {
  // Regression: a naive sum gives 0 here. Values below are promtool 2.42's answers.
  auto s = S({1, 1e100, 1, -1e100});
  CHECK(*SumOverTime(s) == 2);
  CHECK(*AvgOverTime(s) == -2.4283361152821613e+83);
  CHECK(*StdvarOverTime(S({1e100, 1, 1, -1e100, 3})) == 4e+199);
}

TEST_CASE("stddev_over_time and stdvar_over_time", "[over_time]") {
  auto s = S({0, 8, 8, 2, 3});
  CHECK(*StdvarOverTime(s) == Approx(10.56));
  CHECK(*StddevOverTime(s) == Approx(3.249615).epsilon(1e-6));
  // Issue 4927: identical values must give exactly 0, not a rounding residue.
  auto same = S({1.5990505637277868, 1.5990505637277868, 1.5990505637277868});
  CHECK(*StdvarOverTime(same) == 0);
  CHECK(*StddevOverTime(same) == 0);
  // Welford from mean 0: a single infinity is NaN (unlike the stdvar aggregation).
  CHECK(std::isnan(*StdvarOverTime(S({kInf}))));
  CHECK(*StdvarOverTime(S({7})) == 0);
}

TEST_CASE("quantile_over_time", "[over_time]") {
  auto two = S({0, 1});
  auto three = S({0, 1, 2});
  auto uneven = S({0, 1, 4});
  struct Case {
    double q, two, three, uneven;
  };
  const Case cases[] = {
      {0, 0, 0, 0},          {0.5, 0.5, 1, 1},  {0.75, 0.75, 1.5, 2.5}, {0.8, 0.8, 1.6, 2.8},
      {1, 1, 2, 4},          {-1, -kInf, -kInf, -kInf},
      {2, kInf, kInf, kInf},
  };
  for (const Case& c : cases) {
    INFO("q=" << c.q);
    CHECK(*QuantileOverTime(c.q, two) == Approx(c.two));
    CHECK(*QuantileOverTime(c.q, three) == Approx(c.three));
    CHECK(*QuantileOverTime(c.q, uneven) == Approx(c.uneven));
  }
  CHECK(std::isnan(*QuantileOverTime(kNaN, three)));
  std::vector<double> scratch = {99, 98};
  CHECK(*QuantileOverTime(0.5, uneven, scratch) == 1);
  CHECK_FALSE(QuantileOverTime(0.5, {}).has_value());
}

TEST_CASE("min, max and last over time with NaN", "[over_time]") {
  auto numbers = S({2, 0, 3});
  auto some_nan = S({2, 0, kNaN});
  auto some_nan2 = S({2, kNaN, 1});
  auto some_nan3 = S({kNaN, 0, 1});
  auto only_nan = S({kNaN, kNaN, kNaN});
  CHECK(*MinOverTime(numbers) == 0);
  CHECK(*MinOverTime(some_nan) == 0);
  CHECK(*MinOverTime(some_nan2) == 1);
  CHECK(*MinOverTime(some_nan3) == 0);
  CHECK(std::isnan(*MinOverTime(only_nan)));
  CHECK(*MaxOverTime(numbers) == 3);
  CHECK(*MaxOverTime(some_nan) == 2);
  CHECK(*MaxOverTime(some_nan2) == 2);
  CHECK(*MaxOverTime(some_nan3) == 1);
  CHECK(std::isnan(*MaxOverTime(only_nan)));
  CHECK(*LastOverTime(numbers) == 3);
  CHECK(std::isnan(*LastOverTime(some_nan)));
  CHECK(*LastOverTime(some_nan2) == 1);
}

TEST_CASE("count and present over time, empty windows produce nothing", "[over_time]") {
  auto s = S({1, kGap, 3, 4});
  CHECK(*CountOverTime(s) == 3);
  CHECK(*PresentOverTime(s) == 1);
  std::span<const Sample> empty;
  CHECK_FALSE(AvgOverTime(empty).has_value());
  CHECK_FALSE(SumOverTime(empty).has_value());
  CHECK_FALSE(CountOverTime(empty).has_value());
  CHECK_FALSE(MinOverTime(empty).has_value());
  CHECK_FALSE(MaxOverTime(empty).has_value());
  CHECK_FALSE(StdvarOverTime(empty).has_value());
  CHECK_FALSE(StddevOverTime(empty).has_value());
  CHECK_FALSE(LastOverTime(empty).has_value());
  CHECK_FALSE(PresentOverTime(empty).has_value());
}

}  // namespace
}  // namespace strata::promql::fn
