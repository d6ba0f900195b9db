#include "libs/promql/functions/holt_winters.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "libs/promql/functions/test_samples.h"

namespace strata::promql::fn {
namespace {

using namespace testing;

TEST_CASE("holt_winters follows straight trends exactly", "[holt_winters]") {
  // Prometheus' functions.test at 8000s over [1m]: 7 samples every 10s, all on the
  // first ramp of each series (sample 800 of 1000).
  struct Case {
    double start, inc, want;
  };
  const Case cases[] = {{0, 10, 8000},     {0, 20, 16000}, {0, 30, 24000}, {0, 40, 32000},
                        {8000, -10, 0},    {0, -20, -16000}, {0, -40, -32000}};
  for (const Case& c : cases) {
    INFO("start=" << c.start << " inc=" << c.inc);
    auto window = Window(Ramp(10'000, c.start, c.inc, 1000), 7940'000, 8000'000);
    REQUIRE(window.size() == 7);
    CHECK(*HoltWinters(window, 0.01, 0.1) == Approx(c.want).margin(1e-9));
  }
}

TEST_CASE("holt_winters by hand", "[holt_winters]") {
  // s=1,b=2 -> 3 (b=2) -> 3.5 (b=2) -> 4.875 (b=1.25); promtool 2.42 agrees.
  auto s = Series(4 * kMinute, {1, 3, 2, 5});
  CHECK(*HoltWinters(s, 0.5, 0.5) == 4.875);
  std::vector<Sample> one = {{0, 1}};
  CHECK_FALSE(HoltWinters(one, 0.5, 0.5).has_value());
}

TEST_CASE("holt_winters argument validation messages", "[holt_winters]") {
  CHECK(ValidateHoltWinters(0.5, 0.5).ok());
  auto st = ValidateHoltWinters(1, 0.5);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()) == "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
  st = ValidateHoltWinters(0.5, 0);
  CHECK(std::string(st.message()) == "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000");
  // Smoothing factor is checked first.
  st = ValidateHoltWinters(-2.5, 7);
  CHECK(std::string(st.message()) == "invalid smoothing factor. Expected: 0 < sf < 1, got: -2.500000");
  // NaN is neither <= 0 nor >= 1: accepted, as in Prometheus.
  CHECK(ValidateHoltWinters(kNaN, 0.5).ok());
  CHECK(std::isnan(*HoltWinters(Series(kMinute, {1, 2, 3}), kNaN, 0.5)));
  st = ValidateHoltWinters(0.5, kInf);
  CHECK(std::string(st.message()) == "invalid trend factor. Expected: 0 < tf < 1, got: +Inf");
}

}  // namespace
}  // namespace strata::promql::fn
