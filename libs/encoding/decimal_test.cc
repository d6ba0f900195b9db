#include "libs/encoding/decimal.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

namespace strata::encoding {
namespace {

TEST_CASE("FloatToDecimal finds the shortest exact form", "[encoding][decimal]") {
  struct Case {
    double v;
    int64_t m;
    int d;
  };
  for (Case c : {Case{0.0, 0, 0}, Case{21.5, 215, 1}, Case{0.1, 1, 1}, Case{-3.25, -325, 2},
                 Case{123456789.0, 123456789, 0}, Case{1e15, 1000000000000000, 0},
                 Case{0.001, 1, 3}, Case{9007199254740993.0, 9007199254740992, 0}}) {
    int64_t m = -1;
    int d = -1;
    REQUIRE(FloatToDecimal(c.v, &m, &d));
    CHECK(m == c.m);
    CHECK(d == c.d);
    CHECK(std::bit_cast<uint64_t>(DecimalToFloat(m, d)) == std::bit_cast<uint64_t>(c.v));
  }
}

TEST_CASE("FloatToDecimal rejects values without an exact int64 form", "[encoding][decimal]") {
  int64_t m;
  int d;
  CHECK_FALSE(FloatToDecimal(-0.0, &m, &d));
  CHECK_FALSE(FloatToDecimal(std::nan(""), &m, &d));
  CHECK_FALSE(FloatToDecimal(std::numeric_limits<double>::infinity(), &m, &d));
  CHECK_FALSE(FloatToDecimal(-std::numeric_limits<double>::infinity(), &m, &d));
  CHECK_FALSE(FloatToDecimal(1e300, &m, &d));
  CHECK_FALSE(FloatToDecimal(5e-324, &m, &d));
  CHECK_FALSE(FloatToDecimal(9.3e18, &m, &d));  // above 2^63
}

TEST_CASE("FloatToDecimal round-trips values with few decimals", "[encoding][decimal]") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    int digits = static_cast<int>(rng() % 7);
    int64_t mant = static_cast<int64_t>(rng() % 100000000000ULL) - 50000000000LL;
    double v = static_cast<double>(mant) / kPow10[digits];
    int64_t m;
    int d;
    REQUIRE(FloatToDecimal(v, &m, &d));
    CHECK(d <= digits);
    REQUIRE(std::bit_cast<uint64_t>(DecimalToFloat(m, d)) == std::bit_cast<uint64_t>(v));
    int64_t scaled;
    if (RescaleDecimal(v, m, d, kMaxDecimalDigits, &scaled)) {
      CHECK(std::bit_cast<uint64_t>(DecimalToFloat(scaled, kMaxDecimalDigits)) ==
            std::bit_cast<uint64_t>(v));
    }
  }
}

TEST_CASE("RescaleDecimal detects overflow", "[encoding][decimal]") {
  int64_t out;
  CHECK(RescaleDecimal(21.5, 215, 1, 3, &out));
  CHECK(out == 21500);
  CHECK_FALSE(RescaleDecimal(1e15, 1000000000000000, 0, 18, &out));
}

}  // namespace
}  // namespace strata::encoding
