#include "libs/ingest/prom_names.h"

namespace strata::ingest {
namespace {

bool IsNameChar(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || (allow_colon && c == ':');
}

std::string_view Sanitize(std::string_view name, bool allow_colon, ScratchStrings& scratch) {
  bool ok = name.empty() || !(name[0] >= '0' && name[0] <= '9');
  for (size_t i = 0; ok && i < name.size(); ++i) ok = IsNameChar(name[i], allow_colon);
  if (ok) return name;
  std::string& s = scratch.Next();
  if (name[0] >= '0' && name[0] <= '9') s.push_back('_');
  for (char c : name) s.push_back(IsNameChar(c, allow_colon) ? c : '_');
  return s;
}

}  // namespace

std::string_view PromMetricName(std::string_view name, ScratchStrings& scratch) {
  return Sanitize(name, true, scratch);
}

std::string_view PromLabelName(std::string_view name, ScratchStrings& scratch) {
  return Sanitize(name, false, scratch);
}

bool AppendTagLabel(std::string_view tag, bool prom_names, ScratchStrings& scratch, std::vector<LabelView>* labels) {
  size_t eq = tag.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == tag.size()) return false;
  std::string_view name = tag.substr(0, eq);
  labels->push_back({prom_names ? PromLabelName(name, scratch) : name, tag.substr(eq + 1)});
  return true;
}

}  // namespace strata::ingest
