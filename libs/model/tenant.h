// Tenants: `accountID[:projectID]`, two uint32, default 0:0 (VictoriaMetrics'
// multitenancy scheme). Taken from URL paths such as /insert/42:7/...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

struct Tenant {
  uint32_t account_id = 0;
  uint32_t project_id = 0;
  friend bool operator==(const Tenant&, const Tenant&) = default;
  friend auto operator<=>(const Tenant&, const Tenant&) = default;
  // "42" when project_id is 0, else "42:7".
  std::string ToString() const;
  // account_id in the high 32 bits: a stable 64-bit key for indexes.
  uint64_t Key() const { return (uint64_t{account_id} << 32) | project_id; }
};

// Parses "42" or "42:7". InvalidArgument naming the input otherwise (empty parts,
// non-digits, values above 2^32-1).
absl::StatusOr<Tenant> ParseTenant(std::string_view s);

}  // namespace strata
