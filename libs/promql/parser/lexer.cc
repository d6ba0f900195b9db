#include "libs/promql/parser/lexer.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"

namespace strata::promql {
namespace {

bool IsAlpha(char c) { return c == '_' || std::isalpha(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

struct Keyword {
  std::string_view word;
  TokenType type;
};
constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},         {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},   {"atan2", TokenType::kAtan2},
    {"bool", TokenType::kBool},        {"by", TokenType::kBy},
    {"without", TokenType::kWithout},  {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring}, {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight}, {"offset", TokenType::kOffset},
    {"start", TokenType::kStart},      {"end", TokenType::kEnd},
};

void AppendUtf8(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of a duration spelled at s[i...] (e.g. "1h30m"), 0 when there is none.
size_t DurationLength(std::string_view s, size_t i) {
  size_t p = i;
  size_t groups = 0;
  while (p < s.size() && IsDigit(s[p])) {
    size_t q = p;
    while (q < s.size() && IsDigit(s[q])) ++q;
    if (q >= s.size()) break;
    size_t unit_len = 0;
    if (s.compare(q, 2, "ms") == 0) {
      unit_len = 2;
    } else if (std::string_view("smhdwy").find(s[q]) != std::string_view::npos) {
      unit_len = 1;
    } else {
      break;
    }
    p = q + unit_len;
    ++groups;
  }
  if (groups == 0) return 0;
  if (p < s.size() && IsAlnum(s[p])) return 0;
  return p - i;
}

}  // namespace

std::string_view TokenTypeName(TokenType t) {
  switch (t) {
    case TokenType::kEof: return "end of input";
    case TokenType::kError: return "error";
    case TokenType::kIdentifier: return "identifier";
    case TokenType::kNumber: return "number";
    case TokenType::kDuration: return "duration";
    case TokenType::kString: return "string";
    case TokenType::kLeftParen: return "\"(\"";
    case TokenType::kRightParen: return "\")\"";
    case TokenType::kLeftBrace: return "\"{\"";
    case TokenType::kRightBrace: return "\"}\"";
    case TokenType::kLeftBracket: return "\"[\"";
    case TokenType::kRightBracket: return "\"]\"";
    case TokenType::kComma: return "\",\"";
    case TokenType::kColon: return "\":\"";
    case TokenType::kAt: return "\"@\"";
    case TokenType::kAssign: return "\"=\"";
    case TokenType::kAdd: return "\"+\"";
    case TokenType::kSub: return "\"-\"";
    case TokenType::kMul: return "\"*\"";
    case TokenType::kDiv: return "\"/\"";
    case TokenType::kMod: return "\"%\"";
    case TokenType::kPow: return "\"^\"";
    case TokenType::kEql: return "\"==\"";
    case TokenType::kNeq: return "\"!=\"";
    case TokenType::kLss: return "\"<\"";
    case TokenType::kGtr: return "\">\"";
    case TokenType::kLte: return "\"<=\"";
    case TokenType::kGte: return "\">=\"";
    case TokenType::kEqlRegex: return "\"=~\"";
    case TokenType::kNeqRegex: return "\"!~\"";
    case TokenType::kLand: return "\"and\"";
    case TokenType::kLor: return "\"or\"";
    case TokenType::kLunless: return "\"unless\"";
    case TokenType::kAtan2: return "\"atan2\"";
    case TokenType::kBool: return "\"bool\"";
    case TokenType::kBy: return "\"by\"";
    case TokenType::kWithout: return "\"without\"";
    case TokenType::kOn: return "\"on\"";
    case TokenType::kIgnoring: return "\"ignoring\"";
    case TokenType::kGroupLeft: return "\"group_left\"";
    case TokenType::kGroupRight: return "\"group_right\"";
    case TokenType::kOffset: return "\"offset\"";
    case TokenType::kStart: return "\"start\"";
    case TokenType::kEnd: return "\"end\"";
  }
  return "?";
}

std::string PositionString(std::string_view input, int pos) {
  int line = 1;
  int col = 1;
  for (int i = 0; i < pos && i < static_cast<int>(input.size()); ++i) {
    if (input[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return absl::StrCat(line, ":", col);
}

absl::StatusOr<std::string> UnquoteString(std::string_view q) {
  if (q.size() < 2 || q.front() != q.back()) {
    return absl::InvalidArgumentError("unterminated quoted string");
  }
  char quote = q.front();
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) {
      return absl::InvalidArgumentError("invalid syntax in raw string");
    }
    return std::string(body);
  }
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == quote) return absl::InvalidArgumentError("unescaped quote in string");
    if (c == '\n') return absl::InvalidArgumentError("newline in string");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
    char e = body[i];
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return absl::InvalidArgumentError("unknown escape sequence");
        out.push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        uint32_t v = 0;
        for (size_t k = 1; k <= n; ++k) {
          if (i + k >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
          int h = HexVal(body[i + k]);
          if (h < 0) return absl::InvalidArgumentError("invalid escape sequence");
          v = v * 16 + h;
        }
        i += n;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
            return absl::InvalidArgumentError("invalid unicode code point in escape sequence");
          }
          AppendUtf8(v, &out);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = 0;
          for (size_t k = 0; k < 3; ++k) {
            if (i + k >= body.size() || body[i + k] < '0' || body[i + k] > '7') {
              return absl::InvalidArgumentError("invalid octal escape sequence");
            }
            v = v * 8 + (body[i + k] - '0');
          }
          if (v > 255) return absl::InvalidArgumentError("octal escape value > 255");
          i += 2;
          out.push_back(static_cast<char>(v));
          break;
        }
        return absl::InvalidArgumentError("unknown escape sequence");
    }
  }
  return out;
}

absl::Status Lexer::Error(int pos, std::string_view msg) const {
  return absl::InvalidArgumentError(
      absl::StrCat(PositionString(input_, pos), ": parse error: ", Sv(msg)));
}

absl::StatusOr<std::vector<Token>> Lexer::Tokenize() {
  std::vector<Token> out;
  while (true) {
    Token t;
    absl::Status s = Next(&t);
    if (!s.ok()) return s;
    out.push_back(std::move(t));
    if (out.back().type == TokenType::kEof) break;
  }
  return out;
}

absl::Status Lexer::LexString(char quote, Token* tok) {
  size_t start = pos_;
  size_t i = pos_ + 1;
  while (true) {
    if (i >= input_.size()) return Error(start, "unterminated quoted string");
    char c = input_[i];
    if (c == '\\' && quote != '`') {
      i += 2;
      continue;
    }
    if (c == '\n' && quote != '`') return Error(start, "unterminated quoted string");
    if (c == quote) break;
    ++i;
  }
  std::string_view raw = input_.substr(start, i + 1 - start);
  absl::StatusOr<std::string> v = UnquoteString(raw);
  if (!v.ok()) return Error(start, StdSv(v.status().message()));
  tok->type = TokenType::kString;
  tok->text = std::move(*v);
  pos_ = i + 1;
  tok->pos = {static_cast<int>(start), static_cast<int>(pos_)};
  return absl::OkStatus();
}

absl::Status Lexer::LexNumberOrDuration(Token* tok) {
  size_t start = pos_;
  size_t dl = DurationLength(input_, pos_);
  if (dl > 0) {
    tok->type = TokenType::kDuration;
    tok->text = std::string(input_.substr(start, dl));
    pos_ += dl;
    tok->pos = {static_cast<int>(start), static_cast<int>(pos_)};
    return absl::OkStatus();
  }
  size_t i = pos_;
  auto digits = [&](bool hex) {
    size_t n = 0;
    while (i < input_.size() && (hex ? std::isxdigit(static_cast<unsigned char>(input_[i])) != 0
                                     : IsDigit(input_[i]))) {
      ++i;
      ++n;
    }
    return n;
  };
  if (input_.compare(i, 2, "0x") == 0 || input_.compare(i, 2, "0X") == 0) {
    i += 2;
    if (digits(true) == 0) return Error(start, "bad number syntax");
  } else {
    digits(false);
    if (i < input_.size() && input_[i] == '.') {
      ++i;
      digits(false);
    }
    if (i < input_.size() && (input_[i] == 'e' || input_[i] == 'E')) {
      size_t save = i;
      ++i;
      if (i < input_.size() && (input_[i] == '+' || input_[i] == '-')) ++i;
      if (digits(false) == 0) i = save;
    }
  }
  if (i < input_.size() && IsAlnum(input_[i])) {
    size_t e = i;
    while (e < input_.size() && IsAlnum(input_[e])) ++e;
    return Error(start, absl::StrCat("bad number or duration syntax: \"",
                                     Sv(input_.substr(start, e - start)), "\""));
  }
  tok->type = TokenType::kNumber;
  tok->text = std::string(input_.substr(start, i - start));
  pos_ = i;
  tok->pos = {static_cast<int>(start), static_cast<int>(pos_)};
  return absl::OkStatus();
}

absl::Status Lexer::Next(Token* tok) {
  // Skip whitespace and comments.
  while (pos_ < input_.size()) {
    char c = input_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '#') {
      while (pos_ < input_.size() && input_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  int start = static_cast<int>(pos_);
  tok->pos = {start, start};
  if (pos_ >= input_.size()) {
    tok->type = TokenType::kEof;
    return absl::OkStatus();
  }
  char c = input_[pos_];
  auto emit = [&](TokenType t, size_t len) {
    tok->type = t;
    tok->text = std::string(input_.substr(pos_, len));
    pos_ += len;
    tok->pos = {start, static_cast<int>(pos_)};
    return absl::OkStatus();
  };
  char n = pos_ + 1 < input_.size() ? input_[pos_ + 1] : '\0';
  switch (c) {
    case '(': return emit(TokenType::kLeftParen, 1);
    case ')': return emit(TokenType::kRightParen, 1);
    case '{': ++brace_depth_; return emit(TokenType::kLeftBrace, 1);
    case '}': --brace_depth_; return emit(TokenType::kRightBrace, 1);
    case '[': return emit(TokenType::kLeftBracket, 1);
    case ']': return emit(TokenType::kRightBracket, 1);
    case ',': return emit(TokenType::kComma, 1);
    case ':':
      if (brace_depth_ == 0 && (IsAlpha(n) || n == ':')) break;  // metric name like :foo
      return emit(TokenType::kColon, 1);
    case '@': return emit(TokenType::kAt, 1);
    case '+': return emit(TokenType::kAdd, 1);
    case '-': return emit(TokenType::kSub, 1);
    case '*': return emit(TokenType::kMul, 1);
    case '/': return emit(TokenType::kDiv, 1);
    case '%': return emit(TokenType::kMod, 1);
    case '^': return emit(TokenType::kPow, 1);
    case '=':
      if (n == '=') return emit(TokenType::kEql, 2);
      if (n == '~') return emit(TokenType::kEqlRegex, 2);
      return emit(TokenType::kAssign, 1);
    case '!':
      if (n == '=') return emit(TokenType::kNeq, 2);
      if (n == '~') return emit(TokenType::kNeqRegex, 2);
      return Error(start, "unexpected character after '!': " + std::string(1, n));
    case '<':
      if (n == '=') return emit(TokenType::kLte, 2);
      return emit(TokenType::kLss, 1);
    case '>':
      if (n == '=') return emit(TokenType::kGte, 2);
      return emit(TokenType::kGtr, 1);
    case '"':
    case '\'':
    case '`':
      return LexString(c, tok);
    default:
      break;
  }
  if (IsDigit(c) || (c == '.' && IsDigit(n))) return LexNumberOrDuration(tok);
  if (IsAlpha(c) || c == ':') {
    size_t i = pos_;
    bool colon = false;
    while (i < input_.size() && (IsAlnum(input_[i]) || input_[i] == ':')) {
      colon |= input_[i] == ':';
      ++i;
    }
    std::string word(input_.substr(pos_, i - pos_));
    std::string lower = absl::AsciiStrToLower(word);
    TokenType t = TokenType::kIdentifier;
    if (!colon && brace_depth_ == 0) {
      for (const Keyword& k : kKeywords) {
        if (k.word == lower) t = k.type;
      }
      if (lower == "inf" || lower == "nan") t = TokenType::kNumber;
    }
    return emit(t, i - pos_);
  }
  return Error(start, absl::StrCat("unexpected character: '", std::string(1, c), "'"));
}

}  // namespace strata::promql
