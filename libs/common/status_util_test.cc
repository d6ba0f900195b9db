#include "libs/common/status_util.h"

#include <catch2/catch.hpp>

namespace {
absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x) {
  STRATA_ASSIGN_OR_RETURN(int h, Half(x));
  STRATA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}
}  // namespace

TEST_CASE("HttpStatusFromCode maps each code once") {
  CHECK(strata::HttpStatusFromCode(absl::StatusCode::kOk) == 200);
  CHECK(strata::HttpStatusFromCode(absl::StatusCode::kInvalidArgument) == 400);
  CHECK(strata::HttpStatusFromCode(absl::StatusCode::kResourceExhausted) == 429);
  CHECK(strata::HttpStatusFromCode(absl::StatusCode::kUnavailable) == 503);
  CHECK(strata::HttpStatusFromCode(absl::StatusCode::kInternal) == 500);
}

TEST_CASE("STRATA_ASSIGN_OR_RETURN propagates") {
  CHECK(*Quarter(8) == 2);
  CHECK(Quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
}
