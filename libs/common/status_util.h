// Status helpers shared by every library and service.
//
// Libraries return absl::Status / absl::StatusOr<T>; services convert them at their
// edges in exactly one place each: HttpStatusFromCode() here for HTTP, and
// libs/rpc/grpc_status.h for gRPC (absl codes are gRPC codes, so that is 1:1).
//
//   STRATA_RETURN_IF_ERROR(wal->Append(rec));
//   STRATA_ASSIGN_OR_RETURN(auto labels, Labels::FromPairs(pairs));
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

// The HTTP status code that answers a request which failed with `code`:
// InvalidArgument/FailedPrecondition/OutOfRange -> 400, NotFound -> 404,
// AlreadyExists/Aborted -> 409, ResourceExhausted -> 429, Unauthenticated -> 401,
// PermissionDenied -> 403, DeadlineExceeded -> 503, Cancelled -> 499,
// Unavailable -> 503, Unimplemented -> 501, everything else -> 500. OK -> 200.
int HttpStatusFromCode(absl::StatusCode code);

}  // namespace strata

#define STRATA_STATUS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_CONCAT_(a, b) STRATA_STATUS_CONCAT_INNER_(a, b)

#define STRATA_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::absl::Status strata_status_ = (expr);           \
    if (!strata_status_.ok()) return strata_status_;  \
  } while (0)

#define STRATA_ASSIGN_OR_RETURN(lhs, expr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_STATUS_CONCAT_(strata_statusor_, __LINE__), lhs, expr)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
