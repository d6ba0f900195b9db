// Conversions between wire messages (proto/storage.proto) and libs/model types.
#pragma once

#include <climits>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/sample.h"
#include "libs/model/tenant.h"
#include "storage.pb.h"

namespace strata {

namespace pb = ::strata::storage::v1;

// Validates as Labels::FromPairs does (sorted on return).
absl::StatusOr<Labels> LabelsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in);
// A Search answer's series labels, from `label_entries` when the node sent them so
// (SearchRequest.accept_label_entries), else from `labels`. InvalidArgument when
// they are malformed, unsorted or invalid.
absl::StatusOr<Labels> LabelsOfSearchSeries(const pb::SearchSeries& series);
void LabelsToProto(const Labels& in, google::protobuf::RepeatedPtrField<pb::Label>* out);

absl::StatusOr<Matchers> MatchersFromProto(const google::protobuf::RepeatedPtrField<pb::Matcher>& in);
void MatchersToProto(const Matchers& in, google::protobuf::RepeatedPtrField<pb::Matcher>* out);

// Appends the samples of a wire block with min_t <= t <= max_t to *out, whichever
// of `data` (a compressed block), `raw_samples` or `packed_samples` it carries.
// DataLoss or InvalidArgument for a corrupt block or one that carries more than one
// of them; *out is then unchanged.
absl::Status DecodeProtoBlock(const pb::Block& block, int64_t min_t, int64_t max_t, std::vector<Sample>* out);
inline absl::Status DecodeProtoBlock(const pb::Block& block, std::vector<Sample>* out) {
  return DecodeProtoBlock(block, INT64_MIN, INT64_MAX, out);
}
// `samples` in Block.raw_samples' layout (16 bytes each: int64 t, float64 v,
// little-endian): a Sample is that layout, so this is a view of their memory.
std::string_view RawSamplesBytes(std::span<const Sample> samples);
// Sets `block` to carry `samples` (sorted, unique timestamps, not empty) uncompressed.
void RawSamplesToProto(std::span<const Sample> samples, pb::Block* block);
// The same in `packed_samples` (libs/encoding/packed_samples.h), for clients that
// asked for it (SearchRequest.accept_packed_samples).
void PackedSamplesToProto(std::span<const Sample> samples, pb::Block* block);

template <typename Msg>
Tenant TenantOf(const Msg& m) {
  return Tenant{m.account_id(), m.project_id()};
}

}  // namespace strata
