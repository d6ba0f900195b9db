#include "tools/promqltest/script_runner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

namespace strata::promqltest {
namespace {

std::vector<double> Vals(std::vector<std::string> items) {
  auto r = ExpandValues(items);
  REQUIRE(r.ok());
  std::vector<double> out;
  for (const auto& v : *r) out.push_back(v.omitted ? -12345 : v.v);
  return out;
}

TEST_CASE("runner: series expansion notation") {
  CHECK(Vals({"0+10x3"}) == std::vector<double>{0, 10, 20, 30});
  CHECK(Vals({"1-2x2"}) == std::vector<double>{1, -1, -3});
  CHECK(Vals({"-2+4x1"}) == std::vector<double>{-2, 2});
  CHECK(Vals({"0x2"}) == std::vector<double>{0, 0, 0});  // never hex
  CHECK(Vals({"1", "_", "_x2", "3"}) == std::vector<double>{1, -12345, -12345, -12345, 3});
  CHECK(Vals({"1e-3x1"}) == std::vector<double>{1e-3, 1e-3});
  auto st = ExpandValues({"stale"});
  CHECK(IsStaleNaN((*st)[0].v));
  CHECK(std::isinf(Vals({"-Inf"})[0]));
  CHECK(!ExpandValues({"foo"}).ok());
}

TEST_CASE("runner: tolerance") {
  CHECK(AlmostEqual(NAN, NAN));
  CHECK(AlmostEqual(1, 1 + 1e-9));
  CHECK(!AlmostEqual(1, 1.001));
  CHECK(!AlmostEqual(0, 1e-300));
}

TEST_CASE("runner: runs a script and reports failures") {
  const char* script = R"(
load 5m
  http_requests{job="api", instance="0"} 0+10x10
  http_requests{job="api", instance="1"} 0+20x10

eval instant at 50m sum by (job) (http_requests)
  {job="api"} 300

eval instant at 50m sum by (job) (http_requests)
  {job="api"} 301

eval_fail instant at 50m http_requests + on() http_requests

eval instant at 50m 1 + 1
  2
)";
  ScriptRunner r(RunnerOptions{});
  std::ostringstream out;
  FileResult fr = r.RunScript("t.test", script, &out);
  CHECK(fr.passed == 3);
  CHECK(fr.failed == 1);
  CHECK(out.str().find("t.test:9:") == 0);
}

}  // namespace
}  // namespace strata::promqltest
