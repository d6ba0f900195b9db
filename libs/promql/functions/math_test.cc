#include "libs/promql/functions/math.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numbers>

namespace strata::promql::fn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Call(const char* name, double v) {
  UnaryFn f = LookupUnaryMath(name);
  REQUIRE(f != nullptr);
  return f(v);
}

TEST_CASE("math lookup covers the PromQL names and nothing else", "[math]") {
  for (const char* n : {"abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                        "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin",
                        "sinh", "tan", "tanh", "deg", "rad"}) {
    INFO(n);
    CHECK(LookupUnaryMath(n) != nullptr);
  }
  CHECK(LookupUnaryMath("round") == nullptr);
  CHECK(LookupUnaryMath("Abs") == nullptr);
  CHECK(LookupUnaryMath("") == nullptr);
}

TEST_CASE("basic math", "[math]") {
  CHECK(Call("abs", -3.5) == 3.5);
  CHECK(Call("ceil", 1.2) == 2);
  CHECK(Call("floor", -1.2) == -2);
  CHECK(Call("exp", 0) == 1);
  CHECK(Call("ln", 1) == 0);
  CHECK(Call("sqrt", 16) == 4);
  CHECK(std::isnan(Call("sqrt", -1)));
  CHECK(Call("ln", 0) == -kInf);
}

TEST_CASE("log2 is exact on powers of two, log10 as Go computes it", "[math]") {
  CHECK(Call("log2", 8) == 3);
  CHECK(Call("log2", 0.25) == -2);
  CHECK(Call("log2", 1) == 0);
  CHECK(Call("log2", 10) == Approx(3.321928094887362));
  CHECK(Call("log2", 0) == -kInf);
  CHECK(Call("log2", kInf) == kInf);
  CHECK(std::isnan(Call("log2", -8)));
  CHECK(Call("log10", 1e20) == 20);  // promtool 2.42: 2E+01
  CHECK(Call("log10", 1000) == Approx(3));
}

TEST_CASE("sgn keeps zero and NaN", "[math]") {
  CHECK(Call("sgn", -kInf) == -1);
  CHECK(Call("sgn", kInf) == 1);
  CHECK(std::isnan(Call("sgn", kNaN)));
  CHECK(Call("sgn", -50) == -1);
  CHECK(Call("sgn", 0) == 0);
  CHECK(std::signbit(Call("sgn", -0.0)));
  CHECK(Call("sgn", 100) == 1);
}

TEST_CASE("trigonometry, deg, rad, pi", "[math]") {
  CHECK(Pi() == std::numbers::pi);
  CHECK(Call("deg", std::numbers::pi) == 180);
  CHECK(Call("rad", 180) == std::numbers::pi);
  CHECK(Call("sin", 0) == 0);
  CHECK(Call("cos", 0) == 1);
  CHECK(Call("tan", std::numbers::pi / 4) == Approx(1));
  CHECK(Call("asin", 1) == Approx(std::numbers::pi / 2));
  CHECK(Call("acos", 1) == 0);
  CHECK(Call("atan", 1) == Approx(std::numbers::pi / 4));
  CHECK(Call("sinh", 0) == 0);
  CHECK(Call("cosh", 0) == 1);
  CHECK(Call("tanh", kInf) == 1);
  CHECK(Call("asinh", 0) == 0);
  CHECK(Call("acosh", 1) == 0);
  CHECK(Call("atanh", 1) == kInf);
  CHECK(std::isnan(Call("acos", 2)));
}

TEST_CASE("round ties go up, to_nearest uses the inverse", "[math]") {
  CHECK(Round(2.5) == 3);
  CHECK(Round(-2.5) == -2);
  CHECK(Round(1.49) == 1);
  CHECK(Round(14, 5) == 15);
  CHECK(Round(12, 5) == 10);
  CHECK(Round(0.123456, 0.01) == Approx(0.12));
  CHECK(Round(1.5, 0.1) == Approx(1.5));
  CHECK(std::isnan(Round(kNaN)));
  CHECK(Round(kInf) == kInf);
}

TEST_CASE("clamp family with Go's Min/Max rules", "[math]") {
  CHECK(ClampMax(-50, 75) == -50);
  CHECK(ClampMax(100, 75) == 75);
  CHECK(ClampMin(-50, -25) == -25);
  CHECK(ClampMin(0, -25) == 0);
  CHECK(Clamp(-50, -25, 75) == -25);
  CHECK(Clamp(0, -25, 75) == 0);
  CHECK(Clamp(100, -25, 75) == 75);
  CHECK(std::isnan(Clamp(5, 0, kNaN)));
  CHECK(std::isnan(Clamp(5, kNaN, 0)));
  CHECK(std::isnan(ClampMin(kNaN, 0)));
  // An infinity in the winning direction beats NaN in Go.
  CHECK(ClampMax(kNaN, -kInf) == -kInf);
  CHECK(ClampMin(kNaN, kInf) == kInf);
  // Signed zeros: Max prefers +0, Min prefers -0.
  CHECK_FALSE(std::signbit(GoMax(-0.0, 0.0)));
  CHECK(std::signbit(GoMin(0.0, -0.0)));
}

}  // namespace
}  // namespace strata::promql::fn

namespace strata::promql::fn {
namespace {

TEST_CASE("GoPow is bit-identical to Go's math.Pow on integer exponents", "[math]") {
  // Expected values are promtool 2.42's answers for vector(x ^ y).
  CHECK(GoPow(1.1, 10) == 2.593742460100002);  // glibc: 2.5937424601000023
  CHECK(GoPow(3, -2) == 0.1111111111111111);
  CHECK(GoPow(1.0000001, 1e9) == 2.688103843211962e+43);
  CHECK(GoPow(0.3, 7) == 2.1869999999999998e-04);
  CHECK(GoPow(7, 23) == 2.7368747340080914e+19);
  CHECK(GoPow(10, -5) == 1e-05);
  CHECK(GoPow(2, 0.5) == std::sqrt(2.0));
  CHECK(GoPow(-2, 3) == -8);
  CHECK(GoPow(2, 1024) == kInf);
  CHECK(GoPow(2, -1080) == 0);
}

TEST_CASE("GoPow special cases follow Go", "[math]") {
  CHECK(GoPow(kNaN, 0) == 1);
  CHECK(GoPow(1, kNaN) == 1);
  CHECK(std::isnan(GoPow(kNaN, 2)));
  CHECK(std::isnan(GoPow(-8, 1.0 / 3)));
  CHECK(GoPow(-1, kInf) == 1);
  CHECK(GoPow(-1, -kInf) == 1);
  CHECK(GoPow(0.5, kInf) == 0);
  CHECK(GoPow(2, kInf) == kInf);
  CHECK(GoPow(2, -kInf) == 0);
  CHECK(GoPow(0.0, -1) == kInf);
  CHECK(GoPow(-0.0, -1) == -kInf);
  CHECK(GoPow(-0.0, -2) == kInf);
  CHECK(std::signbit(GoPow(-0.0, 3)));
  CHECK(GoPow(kInf, -1) == 0);
  CHECK(GoPow(-kInf, 3) == -kInf);
  CHECK(GoPow(-kInf, 2) == kInf);
  CHECK(GoPow(4, -0.5) == 0.5);
}

}  // namespace
}  // namespace strata::promql::fn
