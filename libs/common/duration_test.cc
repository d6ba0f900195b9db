#include "libs/common/duration.h"

#include <catch2/catch.hpp>

using strata::FormatDuration;
using strata::ParseDuration;

TEST_CASE("ParseDuration accepts Prometheus syntax") {
  CHECK(*ParseDuration("500ms") == 500);
  CHECK(*ParseDuration("15s") == 15'000);
  CHECK(*ParseDuration("1h30m") == 5'400'000);
  CHECK(*ParseDuration("31d") == 31LL * 86'400'000);
  CHECK(*ParseDuration("100y") == 100LL * 365 * 86'400'000);
  CHECK(*ParseDuration("2w") == 14LL * 86'400'000);
  CHECK(*ParseDuration("0") == 0);
  CHECK(*ParseDuration("1m1s1ms") == 61'001);
}

TEST_CASE("ParseDuration rejects malformed input with a message") {
  for (const char* bad : {"", "1", "s", "1x", "1s1h", "1h1h", "-1s", "1.5h", "99999999999999999999y"}) {
    auto d = ParseDuration(bad);
    INFO(bad);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_FALSE(d.status().message().empty());
  }
}

TEST_CASE("FormatDuration round-trips") {
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(5'400'000) == "1h30m");
  CHECK(FormatDuration(61'001) == "1m1s1ms");
  for (int64_t v : {1LL, 999LL, 86'400'000LL * 400, 123'456'789LL}) {
    CHECK(*ParseDuration(FormatDuration(v)) == v);
  }
}
