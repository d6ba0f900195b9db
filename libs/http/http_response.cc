#include "libs/http/http_response.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "libs/common/absl_compat.h"
#include "libs/common/status_util.h"

namespace strata::http {

void HttpResponse::SetHeader(std::string_view name, std::string_view value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return absl::EqualsIgnoreCase(Sv(h.first), Sv(name)); }),
                headers.end());
  headers.emplace_back(std::string(name), std::string(value));
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(Sv(k), Sv(name))) return v;
  }
  return {};
}

void HttpResponse::SetText(std::string text, int code) {
  status = code;
  content_type = "text/plain; charset=utf-8";
  body = std::move(text);
}

void HttpResponse::SetJson(std::string json, int code) {
  status = code;
  content_type = "application/json";
  body = std::move(json);
}

}  // namespace strata::http

namespace strata::http {

void HttpResponse::SetError(const absl::Status& st) {
  SetText(std::string(st.message()) + "\n", HttpStatusFromCode(st.code()));
}

}  // namespace strata::http
