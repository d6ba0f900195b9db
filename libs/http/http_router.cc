#include "libs/http/http_router.h"

namespace strata::http {

void HttpRouter::Handle(std::string path, HttpHandler handler) {
  Route route{path, std::move(handler)};
  exact_[std::move(path)] = std::move(route);
}

void HttpRouter::HandlePrefix(std::string prefix, HttpHandler handler) {
  Route route{prefix, std::move(handler)};
  prefixes_[std::move(prefix)] = std::move(route);
}

void HttpRouter::HandleAsync(std::string path, HttpAsyncHandler handler) {
  Route route{path, nullptr, std::move(handler)};
  exact_[std::move(path)] = std::move(route);
}

void HttpRouter::HandlePrefixAsync(std::string prefix, HttpAsyncHandler handler) {
  Route route{prefix, nullptr, std::move(handler)};
  prefixes_[std::move(prefix)] = std::move(route);
}

const HttpRouter::Route* HttpRouter::Match(std::string_view path, std::string* remainder) const {
  if (auto it = exact_.find(path); it != exact_.end()) {
    *remainder = std::string(path);
    return &it->second;
  }
  // Longest matching prefix; a linear scan is fine for the handful of routes a service has.
  const Route* best = nullptr;
  for (const auto& [prefix, route] : prefixes_) {
    if (path.substr(0, prefix.size()) == prefix &&
        (best == nullptr || prefix.size() > best->pattern.size())) {
      best = &route;
    }
  }
  if (best != nullptr) *remainder = std::string(path.substr(best->pattern.size()));
  return best;
}

}  // namespace strata::http
