// Debian 12's Abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW=0:
// absl::string_view is its own type, so absl::StrCat/StrAppend/StrJoin do not take a
// std::string_view. Wrap such arguments with Sv():
//
//   absl::StrCat("unknown unit \"", strata::Sv(unit), "\"")
//
// absl::Status::message() returns absl::string_view; use std::string(s.message()).
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace strata {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace strata
