// PromQL lexer: turns a query string into tokens.
//
//   Lexer lx("rate(http_requests_total{job=\"api\"}[5m])");
//   absl::StatusOr<std::vector<Token>> toks = lx.Tokenize();   // ends with kEof
//
// Numbers followed directly by a duration unit ("5m", "1h30m") become kDuration;
// the parser decides where durations are allowed. Keywords (and, by, offset, ...)
// are recognised case-insensitively; `inf`/`nan` become numbers. Comments run from
// '#' to the end of the line. Errors carry "line:col" and say what was unexpected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/promql/parser/token.h"

namespace strata::promql {

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The whole token stream, the last token being kEof; InvalidArgument on a
  // lexical error (unterminated string, bad escape, unexpected character, ...).
  absl::StatusOr<std::vector<Token>> Tokenize();

 private:
  absl::Status Next(Token* tok);
  absl::Status LexString(char quote, Token* tok);
  absl::Status LexNumberOrDuration(Token* tok);
  absl::Status Error(int pos, std::string_view msg) const;

  std::string_view input_;
  size_t pos_ = 0;
  int brace_depth_ = 0;
};

// "line:col" (1-based) of byte offset `pos` in `input`, as Prometheus reports it.
std::string PositionString(std::string_view input, int pos);

// Go's strconv.Unquote for PromQL string literals: `quoted` includes its quotes.
absl::StatusOr<std::string> UnquoteString(std::string_view quoted);

}  // namespace strata::promql
