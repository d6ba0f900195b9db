// String helpers shared by the model and the PromQL printer.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// `s` in double quotes, escaped as Go's strconv.Quote does (\" \\ \n \t ..., \xNN for
// invalid bytes, \u/\U for non-printable runes): how Prometheus prints label values.
std::string GoQuote(std::string_view s);

// Printable ASCII copy of `s` for error messages (non-printables as \xNN), at most
// 128 bytes with a trailing "..." when cut.
std::string CEscapeForMessage(std::string_view s);

}  // namespace strata
