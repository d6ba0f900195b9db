#include "libs/promql/functions/regression.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "libs/promql/functions/test_samples.h"

namespace strata::promql::fn {
namespace {

using namespace testing;

// testcounter_reset_middle: 0+10x4 0+10x5 every 5m.
std::vector<Sample> ResetMiddle() {
  auto s = Ramp(5 * kMinute, 0, 10, 4);
  for (auto x : Ramp(5 * kMinute, 0, 10, 5, 25 * kMinute)) s.push_back(x);
  return s;
}

TEST_CASE("deriv equals rate for a straight counter", "[regression]") {
  auto s = Ramp(5 * kMinute, 0, 80, 10);
  CHECK(*Deriv(s) == Approx(0.26666666666666666));
}

TEST_CASE("deriv and predict_linear by the worked example", "[regression]") {
  // sumX=16500 sumY=250 sumXY=480000 sumX2=34650000 n=11 -> slope 105000/9900000.
  auto s = ResetMiddle();
  CHECK(*Deriv(s) == Approx(0.010606060606060607));
  LinearFit at0 = LinearRegression(s, 0);
  CHECK(at0.slope == Approx(0.010606060606060607));
  CHECK(at0.intercept == Approx(6.818181818181818));
  CHECK(LinearRegression(s, 3000'000).intercept == Approx(38.63636363636364));
  CHECK(*PredictLinear(s, 50 * kMinute, 3600) == Approx(76.81818181818181));
  // With `@ 3000` the window stays put but the intercept follows the evaluation time.
  CHECK(*PredictLinear(s, 10 * kMinute, 3600) == Approx(51.36363636363637));
  CHECK(*PredictLinear(s, 70 * kMinute, 3600) == Approx(89.54545454545455));
}

TEST_CASE("predict_linear at the last sample equals value + deriv * t", "[regression]") {
  auto s = Ramp(5 * kMinute, 0, 80, 10);
  double v = s.back().v + *Deriv(s) * 3600;
  CHECK(*PredictLinear(s, 50 * kMinute, 3600) == Approx(v));
}

TEST_CASE("regression edge cases", "[regression]") {
  // Flat lines are answered exactly; flat infinity has no slope.
  auto flat = Series(kMinute, {5, 5, 5});
  CHECK(*Deriv(flat) == 0);
  CHECK(*PredictLinear(flat, 10 * kMinute, 100) == 5);
  auto inf = Series(4 * kMinute, {kInf, kInf, kInf});
  CHECK(std::isnan(*Deriv(inf)));
  // Values from promtool 2.42: deriv(hw[20m]) and predict_linear(hw[20m], 60) at 13m
  // over 1 3 2 5 every 4m.
  auto hw = Series(4 * kMinute, {1, 3, 2, 5});
  CHECK(*Deriv(hw) == Approx(4.583333333333333e-03).epsilon(1e-15));
  CHECK(*PredictLinear(hw, 13 * kMinute, 60) == Approx(4.95).epsilon(1e-15));
  std::vector<Sample> one = {{0, 1}};
  CHECK_FALSE(Deriv(one).has_value());
  CHECK_FALSE(PredictLinear(one, 0, 1).has_value());
}

}  // namespace
}  // namespace strata::promql::fn
