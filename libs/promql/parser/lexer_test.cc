#include "libs/promql/parser/lexer.h"

#include <catch2/catch.hpp>

namespace strata::promql {
namespace {

std::vector<TokenType> Types(std::string_view in) {
  auto toks = Lexer(in).Tokenize();
  REQUIRE(toks.ok());
  std::vector<TokenType> out;
  for (const Token& t : *toks) out.push_back(t.type);
  return out;
}

TEST_CASE("lexer: numbers, durations and keywords") {
  auto toks = *Lexer("foo[1h30m] offset -5m # comment\n and 0x1F + 1.5e3 + Inf").Tokenize();
  REQUIRE(toks.size() == 14);
  CHECK(toks[0].type == TokenType::kIdentifier);
  CHECK(toks[2].type == TokenType::kDuration);
  CHECK(toks[2].text == "1h30m");
  CHECK(toks[4].type == TokenType::kOffset);
  CHECK(toks[5].type == TokenType::kSub);
  CHECK(toks[6].type == TokenType::kDuration);
  CHECK(toks[7].type == TokenType::kLand);
  CHECK(toks[8].type == TokenType::kNumber);
  CHECK(toks[8].text == "0x1F");
  CHECK(toks[10].text == "1.5e3");
  CHECK(toks[12].type == TokenType::kNumber);
  CHECK(toks[13].type == TokenType::kEof);
}

TEST_CASE("lexer: keywords are plain identifiers inside braces") {
  CHECK(Types("{on=\"x\"}") ==
        std::vector<TokenType>{TokenType::kLeftBrace, TokenType::kIdentifier, TokenType::kAssign,
                               TokenType::kString, TokenType::kRightBrace, TokenType::kEof});
}

TEST_CASE("lexer: strings with all quotes and escapes") {
  auto toks = *Lexer(R"("a\"b\n\x41\u00e9" 'it\'s' `raw\n`)").Tokenize();
  CHECK(toks[0].text == "a\"b\nA\xc3\xa9");
  CHECK(toks[1].text == "it's");
  CHECK(toks[2].text == "raw\\n");
}

TEST_CASE("lexer: errors carry a position") {
  auto r = Lexer("foo{a=\"b}").Tokenize();
  REQUIRE(!r.ok());
  CHECK(std::string(r.status().message()).find("1:7") == 0);
  auto r2 = Lexer("1 + 5x").Tokenize();
  REQUIRE(!r2.ok());
  CHECK(std::string(r2.status().message()) == "1:5: parse error: bad number or duration syntax: \"5x\"");
  CHECK(!Lexer("a ! b").Tokenize().ok());
}

TEST_CASE("lexer: unquote rejects bad escapes") {
  CHECK(!UnquoteString("\"\\q\"").ok());
  CHECK(*UnquoteString("\"\\101\"") == "A");
}

}  // namespace
}  // namespace strata::promql
