// The one place absl::Status meets grpc::Status. Abseil's codes are gRPC's codes,
// so the mapping is 1:1 in both directions.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace strata {

grpc::Status ToGrpcStatus(const absl::Status& s);
absl::Status FromGrpcStatus(const grpc::Status& s);

}  // namespace strata
