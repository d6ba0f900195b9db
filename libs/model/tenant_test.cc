#include "libs/model/tenant.h"

#include <catch2/catch.hpp>

TEST_CASE("ParseTenant") {
  auto t = strata::ParseTenant("42:7");
  REQUIRE(t.ok());
  CHECK(t->account_id == 42);
  CHECK(t->project_id == 7);
  CHECK(t->ToString() == "42:7");
  CHECK(strata::ParseTenant("0")->ToString() == "0");
  CHECK(strata::ParseTenant("4294967295:4294967295").ok());
  for (const char* bad : {"", ":", "1:", ":1", "x", "4294967296", "1:2:3", "-1"}) {
    INFO(bad);
    CHECK(strata::ParseTenant(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}
