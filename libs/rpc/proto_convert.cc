#include "libs/rpc/proto_convert.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/encoding/block.h"
#include "libs/encoding/packed_samples.h"
#include "libs/rpc/search_wire.h"
#include "libs/rpc/write_wire.h"

namespace strata {

// Raw blocks are little-endian; the host's own layout is written as it is.
static_assert(std::endian::native == std::endian::little, "raw sample blocks assume a little-endian host");

absl::StatusOr<Labels> LabelsOfSearchSeries(const pb::SearchSeries& series) {
  if (series.label_entries().empty()) return LabelsFromProto(series.labels());
  return LabelsOfEntries(series.label_entries());
}

absl::StatusOr<Labels> LabelsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in) {
  std::vector<Label> pairs;
  pairs.reserve(in.size());
  for (const pb::Label& l : in) pairs.push_back(Label{l.name(), l.value()});
  return Labels::FromPairs(std::move(pairs));
}

void LabelsToProto(const Labels& in, google::protobuf::RepeatedPtrField<pb::Label>* out) {
  out->Reserve(static_cast<int>(in.size()));
  for (const Label& l : in) {
    pb::Label* p = out->Add();
    p->set_name(l.name);
    p->set_value(l.value);
  }
}

absl::Status DecodeProtoBlock(const pb::Block& block, int64_t min_t, int64_t max_t, std::vector<Sample>* out) {
  BlockView view;
  view.min_time_ms = block.min_time_ms();
  view.max_time_ms = block.max_time_ms();
  view.samples = block.samples();
  view.data = block.data();
  view.raw_samples = block.raw_samples();
  view.packed_samples = block.packed_samples();
  return DecodeBlockView(view, min_t, max_t, out);
}

void RawSamplesToProto(std::span<const Sample> samples, pb::Block* block) {
  block->set_min_time_ms(samples.front().t);
  block->set_max_time_ms(samples.back().t);
  block->set_samples(static_cast<uint32_t>(samples.size()));
  const std::string_view raw = RawSamplesBytes(samples);
  block->set_raw_samples(raw.data(), raw.size());
}

std::string_view RawSamplesBytes(std::span<const Sample> samples) {
  // A Sample is the raw layout itself: int64 then float64, little-endian, no padding.
  static_assert(sizeof(Sample) == 16 && offsetof(Sample, v) == 8);
  return std::string_view(reinterpret_cast<const char*>(samples.data()), samples.size() * sizeof(Sample));
}

void PackedSamplesToProto(std::span<const Sample> samples, pb::Block* block) {
  block->set_min_time_ms(samples.front().t);
  block->set_max_time_ms(samples.back().t);
  block->set_samples(static_cast<uint32_t>(samples.size()));
  std::string* packed = block->mutable_packed_samples();
  packed->clear();
  AppendPackedSamples(samples, packed);
}

absl::StatusOr<Matchers> MatchersFromProto(const google::protobuf::RepeatedPtrField<pb::Matcher>& in) {
  Matchers out;
  out.reserve(in.size());
  for (const pb::Matcher& m : in) {
    MatchType t;
    switch (m.type()) {
      case pb::EQUAL: t = MatchType::kEqual; break;
      case pb::NOT_EQUAL: t = MatchType::kNotEqual; break;
      case pb::REGEX: t = MatchType::kRegexMatch; break;
      case pb::NOT_REGEX: t = MatchType::kRegexNoMatch; break;
      default: return absl::InvalidArgumentError("unknown matcher type");
    }
    auto made = Matcher::Make(t, m.name(), m.value());
    if (!made.ok()) return made.status();
    out.push_back(*std::move(made));
  }
  return out;
}

void MatchersToProto(const Matchers& in, google::protobuf::RepeatedPtrField<pb::Matcher>* out) {
  for (const Matcher& m : in) {
    pb::Matcher* p = out->Add();
    switch (m.type()) {
      case MatchType::kEqual: p->set_type(pb::EQUAL); break;
      case MatchType::kNotEqual: p->set_type(pb::NOT_EQUAL); break;
      case MatchType::kRegexMatch: p->set_type(pb::REGEX); break;
      case MatchType::kRegexNoMatch: p->set_type(pb::NOT_REGEX); break;
    }
    p->set_name(m.name());
    p->set_value(m.value());
  }
}

}  // namespace strata
