#include "libs/http/http_request.h"

#include "absl/strings/match.h"
#include "libs/common/absl_compat.h"

namespace strata::http {

std::string_view HttpRequest::Param(std::string_view name) const {
  return FindParam(name).value_or(std::string_view());
}

std::optional<std::string_view> HttpRequest::FindParam(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string> HttpRequest::Params(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(Sv(k), Sv(name))) return v;
  }
  return {};
}

}  // namespace strata::http
