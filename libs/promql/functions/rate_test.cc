#include "libs/promql/functions/rate.h"

#include <bit>

#include <catch2/catch.hpp>

#include "libs/promql/functions/test_samples.h"

namespace strata::promql::fn {
namespace {

using namespace testing;

// Evaluates f over the window (eval - range, eval] as Prometheus 2.42 selects it.
template <typename F>
std::optional<double> At(F f, const std::vector<Sample>& s, int64_t eval_ms, int64_t range_ms,
                         int64_t offset_ms = 0) {
  int64_t end = eval_ms - offset_ms, start = end - range_ms;
  return f(Window(s, start, end), start, end);
}

TEST_CASE("increase over a whole counter and across a reset", "[rate]") {
  auto foo = Ramp(5 * kMinute, 0, 10, 10);
  auto bar = Ramp(5 * kMinute, 0, 10, 5);
  for (auto s : Ramp(5 * kMinute, 0, 10, 4, 30 * kMinute)) bar.push_back(s);
  CHECK(At(Increase, foo, 50 * kMinute, 50 * kMinute) == Approx(100));
  CHECK(At(Increase, bar, 50 * kMinute, 50 * kMinute) == Approx(90));
  // Range reaching before the first sample: the zero point (value 0 at t=0) caps it.
  CHECK(At(Increase, foo, 50 * kMinute, 100 * kMinute) == Approx(100));
  CHECK(At(Increase, bar, 50 * kMinute, 100 * kMinute) == Approx(90));
}

TEST_CASE("increase treats a drop as a reset to zero", "[rate]") {
  auto s = Series(5 * kMinute, {0, 1, 2, 3, 2, 3, 4});
  CHECK(At(Increase, s, 30 * kMinute, 30 * kMinute) == Approx(7));
}

TEST_CASE("rate extrapolation and counter resets", "[rate]") {
  auto middle = Ramp(5 * kMinute, 0, 10, 4);
  for (auto s : Ramp(5 * kMinute, 0, 10, 5, 25 * kMinute)) middle.push_back(s);
  CHECK(At(Rate, middle, 50 * kMinute, 50 * kMinute) == Approx(0.03));

  auto end = Ramp(5 * kMinute, 0, 10, 9);
  end.push_back({50 * kMinute, 0});
  end.push_back({55 * kMinute, 10});
  CHECK(At(Rate, end, 50 * kMinute, 5 * kMinute) == Approx(0).margin(1e-12));

  auto window = Ramp(5 * kMinute, 0, 80, 10);
  CHECK(*At(Rate, window, 50 * kMinute, 50 * kMinute) == Approx(0.26666666666666666));

  auto a = Ramp(5 * kMinute, 0, 10, 10);
  auto b = Ramp(5 * kMinute, 0, 20, 10);
  CHECK(*At(Rate, a, 50 * kMinute, 10 * kMinute, 5 * kMinute) == Approx(0.03333333333333333));
  CHECK(*At(Rate, b, 50 * kMinute, 10 * kMinute, 5 * kMinute) == Approx(0.06666666666666667));
}

TEST_CASE("rate zero-point cutoff for left-side extrapolation", "[rate]") {
  const double want_at_10m[] = {0.5, 0.55, 0.6, 0.65, 0.7, 0.6};
  for (int start = 0; start <= 5; ++start) {
    auto s = Ramp(4 * kMinute, 60.0 * start, 240, 10);
    INFO("start=" << start << "m");
    CHECK(*At(Rate, s, 10 * kMinute, 20 * kMinute) == Approx(want_at_10m[start]));
    CHECK(*At(Rate, s, 50 * kMinute, 20 * kMinute) == Approx(0.6));
  }
}

TEST_CASE("rate applies the zero cap before the 1.1x threshold, as 2.42 does", "[rate]") {
  // Regression: later Prometheus versions apply the threshold first and answer 0.6.
  // Zero point 200s before the first sample: above half an interval (120s) but below
  // 1.1 intervals (264s), so 2.42 extrapolates all the way to it. promtool 2.42 says
  // 0.6666666666666667.
  auto s = Ramp(4 * kMinute, 200, 240, 10);
  CHECK(*At(Rate, s, 10 * kMinute, 20 * kMinute) == Approx(0.6666666666666667).epsilon(1e-15));
}

TEST_CASE("rate needs two samples", "[rate]") {
  std::vector<Sample> one = {{0, 5}};
  CHECK_FALSE(Rate(one, -60'000, 0).has_value());
  CHECK_FALSE(Rate({}, -60'000, 0).has_value());
}

TEST_CASE("delta does not correct resets and can be negative", "[rate]") {
  auto foo = Series(5 * kMinute, {0, 50, 100, 150, 200});
  auto bar = Series(5 * kMinute, {200, 150, 100, 50, 0});
  CHECK(*At(Delta, foo, 20 * kMinute, 20 * kMinute) == Approx(200));
  CHECK(*At(Delta, bar, 20 * kMinute, 20 * kMinute) == Approx(-200));
  // 5 samples over 20m in a 20m window: no extrapolation needed; a drop is just a drop.
  auto dip = Series(5 * kMinute, {10, 0, 5, 6, 8});
  CHECK(*At(Delta, dip, 20 * kMinute, 20 * kMinute) == Approx(-2));
}

TEST_CASE("irate and idelta use the last two samples", "[rate]") {
  auto foo = Ramp(5 * kMinute, 0, 10, 10);
  auto bar = Ramp(5 * kMinute, 0, 10, 5);
  for (auto s : Ramp(5 * kMinute, 0, 10, 4, 30 * kMinute)) bar.push_back(s);
  CHECK(*Irate(Window(foo, 0, 50 * kMinute)) == Approx(0.03333333333333333));
  CHECK(*Irate(Window(bar, 0, 50 * kMinute)) == Approx(0.03333333333333333));
  // At 30m the last two samples of bar are 50 then 0: a reset, so the rate is 0/300s.
  CHECK(*Irate(Window(bar, 0, 30 * kMinute)) == 0);

  auto i1 = Series(5 * kMinute, {0, 50, 100, 150});
  auto i2 = Series(5 * kMinute, {0, 50, 100, 50});
  CHECK(*Idelta(i1) == 50);
  CHECK(*Idelta(i2) == -50);

  std::vector<Sample> one = {{0, 1}};
  CHECK_FALSE(Irate(one).has_value());
  std::vector<Sample> same_t = {{1000, 1}, {1000, 2}};
  CHECK_FALSE(Irate(same_t).has_value());
  CHECK_FALSE(Idelta(same_t).has_value());
}

TEST_CASE("resets and changes", "[rate]") {
  auto foo = Series(5 * kMinute, {1, 2, 3, 0, 1, 0, 0, 1, 2, 0});
  auto bar = Series(5 * kMinute, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  auto biz = Series(5 * kMinute, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  auto at50 = [](const std::vector<Sample>& s, int64_t range) {
    return Window(s, 50 * kMinute - range, 50 * kMinute);
  };
  CHECK(*Resets(at50(foo, 5 * kMinute)) == 0);
  CHECK(*Resets(at50(foo, 20 * kMinute)) == 1);
  CHECK(*Resets(at50(foo, 30 * kMinute)) == 2);
  CHECK(*Resets(at50(foo, 50 * kMinute)) == 3);
  CHECK(*Resets(at50(bar, 30 * kMinute)) == 1);
  CHECK(*Resets(at50(biz, 50 * kMinute)) == 0);

  CHECK(*Changes(at50(foo, 20 * kMinute)) == 3);
  CHECK(*Changes(at50(bar, 20 * kMinute)) == 3);
  CHECK(*Changes(at50(foo, 30 * kMinute)) == 4);
  CHECK(*Changes(at50(bar, 30 * kMinute)) == 5);
  CHECK(*Changes(at50(biz, 30 * kMinute)) == 1);
  CHECK(*Changes(at50(foo, 50 * kMinute)) == 8);
  CHECK(*Changes(at50(bar, 50 * kMinute)) == 9);

  CHECK(*Changes(Series(5 * kMinute, {kNaN, kNaN, kNaN})) == 0);
  CHECK(*Changes(Series(5 * kMinute, {0, kNaN, 0})) == 2);

  CHECK_FALSE(Resets({}).has_value());
  CHECK_FALSE(Changes({}).has_value());
  std::vector<Sample> one = {{0, 1}};
  CHECK(*Resets(one) == 0);
  CHECK(*Changes(one) == 0);
}

// The factor cache and the known-no-drops shortcut must not move a single bit.
TEST_CASE("extrapolation cache and drop shortcut give the uncached answer bit for bit", "[rate]") {
  uint64_t seed = 42;
  auto rnd = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  ExtrapolationCache cache;
  int capped = 0;
  for (int round = 0; round < 20000; ++round) {
    // Counters starting near zero (the zero-point cap bites) or far from it.
    std::vector<Sample> s;
    double v = rnd(4) == 0 ? static_cast<double>(rnd(3)) : 1e6 + static_cast<double>(rnd(1000));
    int64_t t = 1000 * static_cast<int64_t>(rnd(20));
    const int n = 2 + static_cast<int>(rnd(30));
    bool drop = false;
    for (int i = 0; i < n; ++i) {
      s.push_back({t, v});
      t += 15'000 + (rnd(5) == 0 ? static_cast<int64_t>(rnd(2000)) : 0);
      if (rnd(50) == 0) {
        v = 0;
        drop = true;
      } else {
        v += static_cast<double>(rnd(100)) / 4;
      }
    }
    const int64_t start = 0, end = s.back().t + static_cast<int64_t>(rnd(30'000));
    for (bool is_counter : {true, false}) {
      for (bool is_rate : {true, false}) {
        auto plain = ExtrapolatedRate(s, start, end, is_counter, is_rate);
        auto fast = ExtrapolatedRate(s, start, end, is_counter, is_rate, !drop, &cache);
        REQUIRE(plain.has_value());
        REQUIRE(fast.has_value());
        REQUIRE(std::bit_cast<uint64_t>(*plain) == std::bit_cast<uint64_t>(*fast));
        if (is_counter && s.front().v < 3) ++capped;
      }
    }
  }
  CHECK(capped > 1000);
}

}  // namespace
}  // namespace strata::promql::fn
