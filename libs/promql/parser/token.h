// Tokens of the PromQL lexer (see lexer.h).
#pragma once

#include <string>
#include <string_view>

namespace strata::promql {

enum class TokenType {
  kEof,
  kError,
  kIdentifier,       // foo, foo:bar (also keywords used as label names)
  kNumber,           // 1, 1.5e3, 0x1f, Inf, NaN
  kDuration,         // 5m, 1h30m
  kString,           // "a", 'a', `a` (value already unquoted)
  kLeftParen, kRightParen, kLeftBrace, kRightBrace, kLeftBracket, kRightBracket,
  kComma, kColon, kAt,
  kAssign,           // = (only valid inside braces)
  // Binary operators.
  kAdd, kSub, kMul, kDiv, kMod, kPow,
  kEql, kNeq, kLss, kGtr, kLte, kGte,
  kEqlRegex, kNeqRegex,
  kLand, kLor, kLunless, kAtan2,
  // Keywords.
  kBool, kBy, kWithout, kOn, kIgnoring, kGroupLeft, kGroupRight, kOffset,
  kStart, kEnd,
};

// Byte offsets [start, end) into the query text.
struct PosRange {
  int start = 0;
  int end = 0;
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;   // the source text (for strings: the unquoted value)
  PosRange pos;
};

// How a token type is named in error messages, e.g. "number", "\"(\"", "end of input".
std::string_view TokenTypeName(TokenType t);

}  // namespace strata::promql
