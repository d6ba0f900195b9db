#include "libs/ingest/row_sink.h"

#include "absl/strings/str_cat.h"

namespace strata::ingest {

std::string ParseResult::Summary() const {
  if (rejected_lines == 0) return "";
  std::string out = absl::StrCat(rejected_lines, rejected_lines == 1 ? " line" : " lines",
                                 " rejected");
  const char* sep = ": ";
  for (const ParseError& e : errors) {
    if (e.line > 0) {
      absl::StrAppend(&out, sep, "line ", e.line, ": ", e.message);
    } else {
      absl::StrAppend(&out, sep, e.message);
    }
    sep = "; ";
  }
  if (errors.size() < rejected_lines) {
    absl::StrAppend(&out, "; and ", rejected_lines - errors.size(), " more");
  }
  return out;
}

}  // namespace strata::ingest
