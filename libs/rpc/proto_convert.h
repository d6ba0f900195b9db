// Conversions between wire messages (proto/storage.proto) and libs/model types.
#pragma once

#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/tenant.h"
#include "storage.pb.h"

namespace strata {

namespace pb = ::strata::storage::v1;

// Validates as Labels::FromPairs does (sorted on return).
absl::StatusOr<Labels> LabelsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in);
void LabelsToProto(const Labels& in, google::protobuf::RepeatedPtrField<pb::Label>* out);

absl::StatusOr<Matchers> MatchersFromProto(const google::protobuf::RepeatedPtrField<pb::Matcher>& in);
void MatchersToProto(const Matchers& in, google::protobuf::RepeatedPtrField<pb::Matcher>* out);

template <typename Msg>
Tenant TenantOf(const Msg& m) {
  return Tenant{m.account_id(), m.project_id()};
}

}  // namespace strata
