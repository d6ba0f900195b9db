#include "libs/encoding/int_stream.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace strata::encoding {
namespace {

std::vector<int64_t> RoundTrip(const std::vector<int64_t>& in, IntStreamPlan* plan_out = nullptr) {
  IntStreamPlan plan = PlanIntStream(in);
  std::string buf;
  WriteIntStream(in, plan, &buf);
  REQUIRE(buf.size() == IntStreamBytes(plan));
  ByteReader r(buf);
  std::vector<int64_t> out(in.size(), -7);
  REQUIRE(ReadIntStream(&r, in.size(), out.data()));
  CHECK(r.remaining() == 0);
  if (plan_out != nullptr) *plan_out = plan;
  return out;
}

TEST_CASE("Integer streams round-trip", "[encoding][int_stream]") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::mt19937_64 rng(7);
  std::vector<std::vector<int64_t>> cases = {
      {},
      {0},
      {5, 5, 5, 5},
      {kMin, kMax, 0, -1, 1},
      {kMax, kMax - 1},
      {4096, 8192, -4096, 0, 12288},
  };
  std::vector<int64_t> jitter, outliers, random;
  for (int i = 0; i < 1000; ++i) {
    jitter.push_back(static_cast<int64_t>(rng() % 7) - 3);
    outliers.push_back(i % 97 == 0 ? static_cast<int64_t>(rng())
                                   : static_cast<int64_t>(rng() % 16));
    random.push_back(static_cast<int64_t>(rng()));
  }
  cases.push_back(jitter);
  cases.push_back(outliers);
  cases.push_back(random);
  for (const auto& c : cases) CHECK(RoundTrip(c) == c);
}

TEST_CASE("Integer streams pick compact layouts", "[encoding][int_stream]") {
  IntStreamPlan plan;
  RoundTrip(std::vector<int64_t>(100, 15000), &plan);
  CHECK(plan.layout == IntLayout::kConst);
  CHECK(IntStreamBytes(plan) <= 4);

  // Mostly zero with one outlier: a zero class, not 100 wide codes.
  std::vector<int64_t> sparse(100, 0);
  sparse[40] = 123456;
  RoundTrip(sparse, &plan);
  CHECK(plan.layout == IntLayout::kSparse);
  CHECK(IntStreamBytes(plan) <= 10);

  // Mostly small with a few large: a prefix-coded class layout.
  std::vector<int64_t> classes;
  for (int i = 0; i < 200; ++i) classes.push_back(i % 50 == 3 ? 1000000 + i : i % 3);
  RoundTrip(classes, &plan);
  CHECK((plan.layout == IntLayout::kTwoClass || plan.layout == IntLayout::kThreeClass));

  // Codes below 20 pack three to 13 bits rather than 5 bits each.
  std::vector<int64_t> base20;
  for (int i = 0; i < 120; ++i) base20.push_back(1000 + (i * 7) % 20);
  RoundTrip(base20, &plan);
  CHECK(plan.layout == IntLayout::kRadix);
  CHECK(plan.radix == 20);
  CHECK(IntStreamBytes(plan) <= 8 + (120 * 433 / 100 + 7) / 8);

  // Multiples of 4096 lose their twelve zero bits.
  std::vector<int64_t> pages;
  for (int i = 0; i < 64; ++i) pages.push_back(4096 * (i % 4));
  RoundTrip(pages, &plan);
  CHECK(plan.shift == 12);
  CHECK(IntStreamBytes(plan) <= 4 + 64 * 2 / 8);
}

TEST_CASE("Integer streams reject truncated input", "[encoding][int_stream]") {
  std::vector<int64_t> in;
  for (int i = 0; i < 50; ++i) in.push_back(i * 37 % 11);
  IntStreamPlan plan = PlanIntStream(in);
  std::string buf;
  WriteIntStream(in, plan, &buf);
  for (size_t len = 0; len < buf.size(); ++len) {
    ByteReader r(std::string_view(buf.data(), len));
    std::vector<int64_t> out(in.size());
    CHECK_FALSE(ReadIntStream(&r, in.size(), out.data()));
  }
}

}  // namespace
}  // namespace strata::encoding
