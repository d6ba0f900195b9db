# Turns the query page into a C++ header at build time:
#   cmake -DINPUT=index.html -DOUTPUT=ui_page.h -P embed.cmake
# The page must not contain the raw-string delimiter )STRATA_UI".
file(READ "${INPUT}" content)
string(FIND "${content}" ")STRATA_UI\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from services/select/ui/index.html by embed.cmake; do not edit.\n"
  "#pragma once\n#include <string_view>\nnamespace strata {\n"
  "inline constexpr std::string_view kQueryPageHtml = R\"STRATA_UI(${content})STRATA_UI\";\n"
  "}  // namespace strata\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
