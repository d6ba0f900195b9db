#include "libs/model/tenant.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/model/string_escape.h"

namespace strata {
namespace {

bool ParseU32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

std::string Tenant::ToString() const {
  if (project_id == 0) return absl::StrCat(account_id);
  return absl::StrCat(account_id, ":", project_id);
}

absl::StatusOr<Tenant> ParseTenant(std::string_view s) {
  Tenant t;
  size_t colon = s.find(':');
  std::string_view acc = s.substr(0, colon);
  bool ok = ParseU32(acc, &t.account_id);
  if (ok && colon != std::string_view::npos) ok = ParseU32(s.substr(colon + 1), &t.project_id);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tenant \"", CEscapeForMessage(s), "\": want accountID[:projectID], two uint32"));
  }
  return t;
}

}  // namespace strata
