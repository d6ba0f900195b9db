// Small RapidJSON helpers shared by the JSON parsers. Internal to libs/ingest.
//
//   const rapidjson::Value* v = FindJsonMember(obj, "metric");   // nullptr if absent
//   for (rapidjson::SizeType i = 0; i < obj.MemberCount(); ++i) { auto& m = JsonMemberAt(obj, i); }
//
// Members are reached by index: comparing RapidJSON 1.1.0's member iterators is
// ambiguous in C++20 (clang's -Wambiguous-reversed-operator).
#pragma once

#include <string_view>

#include <rapidjson/document.h>

namespace strata::ingest {

inline std::string_view JsonString(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

// REQUIRES: obj.IsObject() and i < obj.MemberCount().
inline const rapidjson::Value::Member& JsonMemberAt(const rapidjson::Value& obj,
                                                    rapidjson::SizeType i) {
  return *(obj.MemberBegin() + i);
}

// The value of the first member named `name`, or nullptr. REQUIRES: obj.IsObject().
inline const rapidjson::Value* FindJsonMember(const rapidjson::Value& obj, std::string_view name) {
  for (rapidjson::SizeType i = 0; i < obj.MemberCount(); ++i) {
    const auto& m = JsonMemberAt(obj, i);
    if (JsonString(m.name) == name) return &m.value;
  }
  return nullptr;
}

}  // namespace strata::ingest
