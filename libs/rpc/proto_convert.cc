#include "libs/rpc/proto_convert.h"

namespace strata {

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
