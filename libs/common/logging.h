// Process-wide logging on spdlog.
//
//   strata::InitLogging("strata-storage", flags);   // once, in main()
//   spdlog::info("listening on {}", addr);
//
// Text format: `2026-11-25T04:46:31.123Z info strata-storage: message`.
// JSON format: one object per line with ts, level, service, msg.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "libs/common/flags.h"
#include "spdlog/spdlog.h"

namespace strata {

// Installs the default logger. Returns InvalidArgument for an unknown level/format.
absl::Status InitLogging(const std::string& service, const CommonFlags& flags);

}  // namespace strata
