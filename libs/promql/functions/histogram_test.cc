#include "libs/promql/functions/histogram.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace strata::promql::fn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double HQ(double q, std::vector<Bucket> b) { return BucketQuantile(q, b); }

// histograms.test at 50m (sample 10 of 0+Nx10): counts are 10x the per-step slope.
std::vector<Bucket> Positive() { return {{0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 120}}; }
std::vector<Bucket> Negative() { return {{-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 30}}; }

TEST_CASE("histogram_quantile out-of-range and NaN q", "[histogram]") {
  CHECK(HQ(-0.1, Positive()) == -kInf);
  CHECK(HQ(1.01, Negative()) == kInf);
  CHECK(std::isnan(HQ(kNaN, Positive())));
}

TEST_CASE("histogram_quantile lowest and highest buckets", "[histogram]") {
  CHECK(HQ(0, Positive()) == 0);       // positive lowest bucket interpolates from 0
  CHECK(HQ(0, Negative()) == -0.2);    // a bound <= 0 is returned as is
  CHECK(HQ(1, Positive()) == 1);       // +Inf bucket -> second-highest bound
  CHECK(HQ(1, Negative()) == 0.3);
}

TEST_CASE("histogram_quantile interpolation", "[histogram]") {
  CHECK(HQ(0.2, Positive()) == Approx(0.048));
  CHECK(HQ(0.2, Negative()) == Approx(-0.2));
  CHECK(HQ(0.5, Positive()) == Approx(0.15));
  CHECK(HQ(0.5, Negative()) == Approx(-0.15));
  CHECK(HQ(0.8, Positive()) == Approx(0.72));
  CHECK(HQ(0.8, Negative()) == Approx(0.3));
  // Quantiles exactly in the middle of buckets.
  std::vector<Bucket> h2 = {{0, 0}, {2, 7}, {4, 14}, {6, 21}, {kInf, 21}};
  CHECK(HQ(1. / 6., h2) == Approx(1));
  CHECK(HQ(0.5, h2) == Approx(3));
  CHECK(HQ(5. / 6., h2) == Approx(5));
}

TEST_CASE("histogram_quantile input order does not matter", "[histogram]") {
  std::vector<Bucket> shuffled = {{kInf, 120}, {0.2, 70}, {0.1, 50}, {1, 110}};
  CHECK(HQ(0.5, shuffled) == Approx(0.15));
}

TEST_CASE("histogram_quantile forces monotonic counts", "[histogram]") {
  std::vector<Bucket> nonmono = {{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {kInf, 80}};
  CHECK(HQ(0.01, nonmono) == Approx(0.0045));
  CHECK(HQ(0.5, nonmono) == Approx(8.5));
  CHECK(HQ(0.99, nonmono) == Approx(979.75));
}

TEST_CASE("histogram_quantile merges buckets with the same bound", "[histogram]") {
  // le="0.2", "2e-1", "2.0e-1" are one bucket (counts added) -> rate-equivalent counts.
  std::vector<Bucket> mixed = {{0.1, 1}, {0.2, 1}, {0.2, 1}, {0.2, 1}, {kInf, 4}};
  CHECK(HQ(0.5, mixed) == Approx(0.15));
  CHECK(HQ(0.75, mixed) == Approx(0.2));
  CHECK(HQ(1, mixed) == Approx(0.2));
  // le="1" (5) and le="1.0" (3) -> 8 of 10 below 1: promtool 2.42 says 0.625.
  CHECK(HQ(0.5, {{1, 5}, {1, 3}, {kInf, 10}}) == 0.625);
  // Two +Inf buckets merge into one: fewer than 2 buckets -> NaN.
  CHECK(std::isnan(HQ(0.5, {{kInf, 10}, {kInf, 12}})));
  CHECK(std::isnan(HQ(0.5, {{kInf, 0}, {kInf, 0}})));
}

TEST_CASE("histogram_quantile NaN cases", "[histogram]") {
  CHECK(std::isnan(HQ(0.5, {{0.1, 1}, {0.2, 2}})));   // no +Inf bucket
  CHECK(std::isnan(HQ(0.5, {{kInf, 3}})));            // fewer than two buckets
  CHECK(std::isnan(HQ(0.2, {{0.1, 0}, {0.2, 0}, {kInf, 0}})));  // no observations
  CHECK(std::isnan(HQ(0.5, {})));
}

TEST_CASE("ParseBucketBound accepts what Go's ParseFloat accepts", "[histogram]") {
  CHECK(*ParseBucketBound("0.1") == 0.1);
  CHECK(*ParseBucketBound(".2") == 0.2);
  CHECK(*ParseBucketBound("1e0") == 1);
  CHECK(*ParseBucketBound("2.0e-1") == 0.2);
  CHECK(*ParseBucketBound("-.2") == -0.2);
  CHECK(*ParseBucketBound("+5") == 5);
  CHECK(*ParseBucketBound("+Inf") == kInf);
  CHECK(*ParseBucketBound("+inf") == kInf);
  CHECK(*ParseBucketBound("Inf") == kInf);
  CHECK(*ParseBucketBound("-Infinity") == -kInf);
  CHECK(std::isnan(*ParseBucketBound("NaN")));
  CHECK(*ParseBucketBound("0x1p-1") == 0.5);
  CHECK(*ParseBucketBound("1e-400") == 0);  // underflow is not an error in Go
  CHECK_FALSE(ParseBucketBound("").has_value());
  CHECK_FALSE(ParseBucketBound("abc").has_value());
  CHECK_FALSE(ParseBucketBound(" 1").has_value());
  CHECK_FALSE(ParseBucketBound("1 ").has_value());
  CHECK_FALSE(ParseBucketBound("1e400").has_value());  // overflow is
  CHECK_FALSE(ParseBucketBound("+NaN").has_value());
  CHECK_FALSE(ParseBucketBound("0x10").has_value());   // hex needs a p exponent
  CHECK_FALSE(ParseBucketBound("1_000").has_value());
  CHECK_FALSE(ParseBucketBound("-").has_value());
}

TEST_CASE("Quantile over plain values", "[histogram]") {
  std::vector<double> v = {4, 0, 1};
  CHECK(Quantile(0.5, v) == 1);
  CHECK(Quantile(0.75, v) == Approx(2.5));
  CHECK(Quantile(0, v) == 0);
  CHECK(Quantile(1, v) == 4);
  CHECK(Quantile(-0.1, v) == -kInf);
  CHECK(Quantile(1.1, v) == kInf);
  CHECK(std::isnan(Quantile(kNaN, v)));
  std::vector<double> empty;
  CHECK(std::isnan(Quantile(0.5, empty)));
  // NaNs sort first.
  std::vector<double> with_nan = {3, kNaN, 1};
  CHECK(std::isnan(Quantile(0, with_nan)));
  CHECK(Quantile(1, with_nan) == 3);
  CHECK(Quantile(0.75, with_nan) == 2);
}

}  // namespace
}  // namespace strata::promql::fn
