#include "libs/promql/parser/parser.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/common/duration.h"
#include "libs/promql/parser/lexer.h"

namespace strata::promql {
namespace {

// The parser reports errors by throwing ParseError; ParseExpr catches it once and
// turns it into a Status, so no exception leaves this file.
struct ParseError {
  int pos;
  std::string msg;
};

constexpr int kPowPrec = 6;

int Precedence(TokenType t) {
  switch (t) {
    case TokenType::kLor: return 1;
    case TokenType::kLand:
    case TokenType::kLunless: return 2;
    case TokenType::kEql: case TokenType::kNeq: case TokenType::kLss:
    case TokenType::kGtr: case TokenType::kLte: case TokenType::kGte: return 3;
    case TokenType::kAdd:
    case TokenType::kSub: return 4;
    case TokenType::kMul: case TokenType::kDiv: case TokenType::kMod:
    case TokenType::kAtan2: return 5;
    case TokenType::kPow: return kPowPrec;
    default: return 0;
  }
}

bool IsKeywordOrIdent(const Token& t) {
  if (t.type == TokenType::kIdentifier) return true;
  switch (t.type) {
    case TokenType::kLand: case TokenType::kLor: case TokenType::kLunless:
    case TokenType::kAtan2: case TokenType::kBool: case TokenType::kBy:
    case TokenType::kWithout: case TokenType::kOn: case TokenType::kIgnoring:
    case TokenType::kGroupLeft: case TokenType::kGroupRight: case TokenType::kOffset:
    case TokenType::kStart: case TokenType::kEnd:
      return true;
    case TokenType::kNumber:  // inf / nan spelled as words
      return !t.text.empty() && std::isalpha(static_cast<unsigned char>(t.text[0]));
    default:
      return false;
  }
}

double ParseNumber(const std::string& text, int pos) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "inf") return std::numeric_limits<double>::infinity();
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Go's strconv.ParseInt(s, 0, 64) first (so 0x1f is hex and 010 is octal), then
  // ParseFloat, as Prometheus does.
  bool all_digits = !text.empty();
  for (char c : text) all_digits &= (c >= '0' && c <= '9');
  if (lower.rfind("0x", 0) == 0) {
    errno = 0;
    unsigned long long v = std::strtoull(text.c_str() + 2, nullptr, 16);
    if (errno == 0 && v <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
      return static_cast<double>(static_cast<int64_t>(v));
    }
    return static_cast<double>(v);
  }
  if (all_digits && text.size() > 1 && text[0] == '0') {
    bool octal = true;
    for (char c : text) octal &= (c >= '0' && c <= '7');
    if (octal) return static_cast<double>(std::strtoll(text.c_str(), nullptr, 8));
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) throw ParseError{pos, "bad number syntax: \"" + text + "\""};
  return v;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  ExprPtr ParseTop() {
    if (Peek().type == TokenType::kEof) throw ParseError{0, "no expression found in input"};
    ExprPtr e = ParseBinary(0);
    if (Peek().type != TokenType::kEof) Unexpected("");
    // Long operator chains (a + a + ... ) nest without recursing in the parser; the
    // evaluator and printer do recurse, so bound the tree depth too.
    if (Depth(*e, 0) > kMaxDepth) throw ParseError{0, "expression nesting too deep"};
    return e;
  }

  static int Depth(const Expr& e, int d) {
    if (d > kMaxDepth) return d;
    switch (e.kind) {
      case NodeKind::kMatrixSelector:
      case NodeKind::kVectorSelector:
      case NodeKind::kNumber:
      case NodeKind::kString:
        return d + 1;
      case NodeKind::kSubquery: return Depth(*static_cast<const SubqueryExpr&>(e).expr, d + 1);
      case NodeKind::kParen: return Depth(*static_cast<const ParenExpr&>(e).expr, d + 1);
      case NodeKind::kUnary: return Depth(*static_cast<const UnaryExpr&>(e).expr, d + 1);
      case NodeKind::kBinary: {
        auto& b = static_cast<const BinaryExpr&>(e);
        return std::max(Depth(*b.lhs, d + 1), Depth(*b.rhs, d + 1));
      }
      case NodeKind::kAggregate: {
        auto& a = static_cast<const AggregateExpr&>(e);
        return std::max(Depth(*a.expr, d + 1), a.param ? Depth(*a.param, d + 1) : 0);
      }
      case NodeKind::kCall: {
        int m = d + 1;
        for (const ExprPtr& a : static_cast<const Call&>(e).args) m = std::max(m, Depth(*a, d + 1));
        return m;
      }
    }
    return d;
  }

  Labels ParseMetricOnly() {
    std::string name;
    Matchers ms;
    if (IsKeywordOrIdent(Peek())) {
      name = Next().text;
    }
    if (Peek().type == TokenType::kLeftBrace) ms = ParseMatchers();
    if (Peek().type != TokenType::kEof) Unexpected("");
    std::vector<Label> pairs;
    if (!name.empty()) pairs.push_back({"__name__", name});
    for (const Matcher& m : ms) {
      if (m.type() != MatchType::kEqual) throw ParseError{0, "only equality matchers allowed"};
      pairs.push_back({m.name(), m.value()});
    }
    absl::StatusOr<Labels> ls = Labels::FromPairs(std::move(pairs));
    if (!ls.ok()) throw ParseError{0, std::string(ls.status().message())};
    return *std::move(ls);
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }

  [[noreturn]] void Unexpected(std::string_view context, std::string_view expected = "") {
    const Token& t = Peek();
    std::string what = t.type == TokenType::kEof ? "end of input"
                       : t.type == TokenType::kIdentifier ? "identifier \"" + t.text + "\""
                       : t.type == TokenType::kNumber ? "number \"" + t.text + "\""
                       : t.type == TokenType::kDuration ? "duration \"" + t.text + "\""
                       : t.type == TokenType::kString ? "string \"" + t.text + "\""
                       : std::string(TokenTypeName(t.type));
    std::string msg = absl::StrCat("unexpected ", what);
    if (!context.empty()) absl::StrAppend(&msg, " in ", Sv(context));
    if (!expected.empty()) absl::StrAppend(&msg, ", expected ", Sv(expected));
    throw ParseError{t.pos.start, msg};
  }

  const Token& Expect(TokenType t, std::string_view context) {
    if (Peek().type != t) Unexpected(context, TokenTypeName(t));
    return Next();
  }

  int64_t ParseDurationTok(std::string_view context) {
    const Token& t = Peek();
    if (t.type != TokenType::kDuration) Unexpected(context, "duration");
    absl::StatusOr<int64_t> d = ParseDuration(t.text);
    if (!d.ok()) throw ParseError{t.pos.start, std::string(d.status().message())};
    Next();
    return *d;
  }

  std::vector<std::string> ParseLabelList(std::string_view context) {
    Expect(TokenType::kLeftParen, context);
    std::vector<std::string> out;
    while (Peek().type != TokenType::kRightParen) {
      const Token& t = Peek();
      if (!IsKeywordOrIdent(t) || t.text.find(':') != std::string::npos) {
        Unexpected(context, "label");
      }
      out.push_back(Next().text);
      if (Peek().type == TokenType::kComma) {
        Next();
      } else if (Peek().type != TokenType::kRightParen) {
        Unexpected(context, "\",\" or \")\"");
      }
    }
    Next();
    return out;
  }

  ExprPtr ParseBinary(int min_prec) {
    // Bound the recursion so a hostile query cannot exhaust the stack.
    struct DepthGuard {
      int* d;
      explicit DepthGuard(int* depth) : d(depth) { ++*d; }
      ~DepthGuard() { --*d; }
    } guard(&depth_);
    if (depth_ > kMaxDepth) throw ParseError{Peek().pos.start, "expression nesting too deep"};
    ExprPtr lhs = ParseUnary();
    while (true) {
      TokenType op = Peek().type;
      int prec = Precedence(op);
      if (prec == 0 || prec < min_prec) break;
      Token op_tok = Next();
      auto b = std::make_unique<BinaryExpr>();
      b->op = op;
      VectorMatching vm;
      if (Peek().type == TokenType::kBool) {
        Next();
        b->return_bool = true;
      }
      if (Peek().type == TokenType::kOn || Peek().type == TokenType::kIgnoring) {
        vm.on = Next().type == TokenType::kOn;
        vm.explicit_matching = true;
        vm.labels = ParseLabelList("grouping opts");
        if (Peek().type == TokenType::kGroupLeft || Peek().type == TokenType::kGroupRight) {
          vm.card = Next().type == TokenType::kGroupLeft ? Cardinality::kManyToOne
                                                         : Cardinality::kOneToMany;
          if (Peek().type == TokenType::kLeftParen) vm.include = ParseLabelList("grouping opts");
        }
      }
      ExprPtr rhs = ParseBinary(op == TokenType::kPow ? prec : prec + 1);
      b->pos = {lhs->pos.start, rhs->pos.end};
      b->lhs = std::move(lhs);
      b->rhs = std::move(rhs);
      CheckBinary(b.get(), std::move(vm), op_tok);
      lhs = std::move(b);
    }
    return lhs;
  }

  void CheckBinary(BinaryExpr* b, VectorMatching vm, const Token& op_tok) {
    ValueType lt = b->lhs->Type();
    ValueType rt = b->rhs->Type();
    int pos = b->pos.start;
    std::string ops(OpString(b->op));
    if (b->return_bool && !IsComparisonOp(b->op)) {
      throw ParseError{pos, "bool modifier can only be used on comparison operators"};
    }
    if (IsComparisonOp(b->op) && lt == ValueType::kScalar && rt == ValueType::kScalar &&
        !b->return_bool) {
      throw ParseError{pos, "comparisons between scalars must use BOOL modifier"};
    }
    if ((lt != ValueType::kScalar && lt != ValueType::kVector) ||
        (rt != ValueType::kScalar && rt != ValueType::kVector)) {
      throw ParseError{pos, "binary expression must contain only scalar and instant vector types"};
    }
    if (IsSetOp(b->op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (vm.explicit_matching && (!vm.labels.empty() || vm.on ||
                                   vm.card == Cardinality::kManyToOne ||
                                   vm.card == Cardinality::kOneToMany)) {
        throw ParseError{pos, "vector matching only allowed between instant vectors"};
      }
      if (IsSetOp(b->op)) {
        throw ParseError{pos, "set operator \"" + ops + "\" not allowed in binary scalar expression"};
      }
      return;
    }
    if (IsSetOp(b->op)) {
      if (vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany) {
        throw ParseError{pos, "no grouping allowed for \"" + ops + "\" operation"};
      }
    }
    if (vm.on) {
      for (const std::string& l : vm.include) {
        for (const std::string& m : vm.labels) {
          if (l == m) {
            throw ParseError{pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once"};
          }
        }
      }
    }
    b->matching = std::move(vm);
  }

  ExprPtr ParseUnary() {
    TokenType t = Peek().type;
    if (t == TokenType::kAdd || t == TokenType::kSub) {
      Token op = Next();
      ExprPtr e = ParseBinary(kPowPrec);
      if (e->kind == NodeKind::kNumber) {
        auto* n = static_cast<NumberLiteral*>(e.get());
        if (t == TokenType::kSub) n->value = -n->value;
        n->pos.start = op.pos.start;
        return e;
      }
      ValueType vt = e->Type();
      if (vt != ValueType::kScalar && vt != ValueType::kVector) {
        throw ParseError{op.pos.start,
                         absl::StrCat("unary expression only allowed on expressions of type scalar "
                                      "or instant vector, got \"",
                                      Sv(ValueTypeName(vt)), "\"")};
      }
      auto u = std::make_unique<UnaryExpr>();
      u->op = t;
      u->pos = {op.pos.start, e->pos.end};
      u->expr = std::move(e);
      return u;
    }
    return ParsePostfix(ParsePrimary());
  }

  // [range], [range:step], offset, @ after a primary expression.
  ExprPtr ParsePostfix(ExprPtr e) {
    while (true) {
      TokenType t = Peek().type;
      if (t == TokenType::kLeftBracket) {
        Token lb = Next();
        int64_t range = ParseDurationTok("range or subquery");
        if (Peek().type == TokenType::kColon) {
          Next();
          int64_t step = 0;
          if (Peek().type == TokenType::kDuration) step = ParseDurationTok("subquery");
          const Token& rb = Expect(TokenType::kRightBracket, "subquery selector");
          ValueType vt = e->Type();
          if (vt != ValueType::kVector) {
            throw ParseError{e->pos.start,
                             absl::StrCat("subquery is only allowed on instant vector, got ",
                                          Sv(ValueTypeName(vt)), " instead")};
          }
          auto sq = std::make_unique<SubqueryExpr>();
          sq->pos = {e->pos.start, rb.pos.end};
          sq->range_ms = range;
          sq->step_ms = step;
          sq->expr = std::move(e);
          e = std::move(sq);
          continue;
        }
        const Token& rb = Expect(TokenType::kRightBracket, "matrix selector");
        if (e->kind != NodeKind::kVectorSelector) {
          throw ParseError{lb.pos.start, "ranges only allowed for vector selectors"};
        }
        auto* vs = static_cast<VectorSelector*>(e.get());
        if (vs->offset_ms != 0) throw ParseError{lb.pos.start, "no offset modifiers allowed before range"};
        if (vs->at != AtKind::kNone) throw ParseError{lb.pos.start, "no @ modifiers allowed before range"};
        auto ms = std::make_unique<MatrixSelector>();
        ms->pos = {e->pos.start, rb.pos.end};
        ms->range_ms = range;
        ms->vector_selector = std::move(e);
        e = std::move(ms);
        continue;
      }
      if (t == TokenType::kOffset) {
        Token off = Next();
        bool neg = false;
        if (Peek().type == TokenType::kSub) {
          Next();
          neg = true;
        } else if (Peek().type == TokenType::kAdd) {
          Next();
        }
        int64_t d = ParseDurationTok("offset");
        if (neg) d = -d;
        int64_t* target = nullptr;
        if (e->kind == NodeKind::kVectorSelector) {
          target = &static_cast<VectorSelector*>(e.get())->offset_ms;
        } else if (e->kind == NodeKind::kMatrixSelector) {
          target = &static_cast<VectorSelector*>(
                        static_cast<MatrixSelector*>(e.get())->vector_selector.get())->offset_ms;
        } else if (e->kind == NodeKind::kSubquery) {
          target = &static_cast<SubqueryExpr*>(e.get())->offset_ms;
        } else {
          throw ParseError{off.pos.start,
                           "offset modifier must be preceded by an instant vector selector or range "
                           "vector selector or a subquery"};
        }
        if (*target != 0) throw ParseError{off.pos.start, "offset may not be set multiple times"};
        *target = d;
        e->pos.end = toks_[pos_ - 1].pos.end;
        continue;
      }
      if (t == TokenType::kAt) {
        Token at = Next();
        AtKind kind = AtKind::kTimestamp;
        int64_t at_ms = 0;
        if (Peek().type == TokenType::kStart || Peek().type == TokenType::kEnd) {
          kind = Next().type == TokenType::kStart ? AtKind::kStart : AtKind::kEnd;
          Expect(TokenType::kLeftParen, "@ modifier");
          Expect(TokenType::kRightParen, "@ modifier");
        } else {
          double sign = 1;
          if (Peek().type == TokenType::kSub || Peek().type == TokenType::kAdd) {
            if (Next().type == TokenType::kSub) sign = -1;
          }
          if (Peek().type != TokenType::kNumber) Unexpected("@", "timestamp");
          const Token& n = Next();
          double v = sign * ParseNumber(n.text, n.pos.start);
          double ms = v * 1000.0;
          if (std::isnan(v) || std::isinf(v) || ms >= 9.2233720368547758e18 ||
              ms <= -9.2233720368547758e18) {
            throw ParseError{n.pos.start, "timestamp out of bounds for @ modifier: " + n.text};
          }
          at_ms = static_cast<int64_t>(std::round(ms));
        }
        AtKind* target = nullptr;
        int64_t* target_ms = nullptr;
        if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kMatrixSelector) {
          VectorSelector* vs =
              e->kind == NodeKind::kVectorSelector
                  ? static_cast<VectorSelector*>(e.get())
                  : static_cast<VectorSelector*>(
                        static_cast<MatrixSelector*>(e.get())->vector_selector.get());
          target = &vs->at;
          target_ms = &vs->at_ms;
        } else if (e->kind == NodeKind::kSubquery) {
          target = &static_cast<SubqueryExpr*>(e.get())->at;
          target_ms = &static_cast<SubqueryExpr*>(e.get())->at_ms;
        } else {
          throw ParseError{at.pos.start,
                           "@ modifier must be preceded by an instant vector selector or range "
                           "vector selector or a subquery"};
        }
        if (*target != AtKind::kNone) {
          throw ParseError{at.pos.start, "@ <timestamp> may not be set multiple times"};
        }
        *target = kind;
        *target_ms = at_ms;
        e->pos.end = toks_[pos_ - 1].pos.end;
        continue;
      }
      return e;
    }
  }

  Matchers ParseMatchers() {
    Expect(TokenType::kLeftBrace, "label matching");
    Matchers out;
    while (Peek().type != TokenType::kRightBrace) {
      const Token& name = Peek();
      if (!IsKeywordOrIdent(name)) Unexpected("label matching", "label matching");
      std::string lname = Next().text;
      MatchType mt;
      switch (Peek().type) {
        case TokenType::kAssign: mt = MatchType::kEqual; break;
        case TokenType::kNeq: mt = MatchType::kNotEqual; break;
        case TokenType::kEqlRegex: mt = MatchType::kRegexMatch; break;
        case TokenType::kNeqRegex: mt = MatchType::kRegexNoMatch; break;
        default: Unexpected("label matching", "label matching operator");
      }
      Next();
      if (Peek().type != TokenType::kString) Unexpected("label matching", "string");
      const Token& val = Next();
      absl::StatusOr<Matcher> m = Matcher::Make(mt, lname, val.text);
      if (!m.ok()) throw ParseError{val.pos.start, std::string(m.status().message())};
      out.push_back(*std::move(m));
      if (Peek().type == TokenType::kComma) {
        Next();
      } else if (Peek().type != TokenType::kRightBrace) {
        Unexpected("label matching", "\",\" or \"}\"");
      }
    }
    Next();
    return out;
  }

  ExprPtr ParseSelector(std::string name, int start) {
    auto vs = std::make_unique<VectorSelector>();
    vs->name = std::move(name);
    vs->pos = {start, toks_[pos_ - (vs->name.empty() ? 0 : 1)].pos.end};
    if (Peek().type == TokenType::kLeftBrace) {
      vs->matchers = ParseMatchers();
      vs->pos.end = toks_[pos_ - 1].pos.end;
    }
    if (!vs->name.empty()) {
      for (const Matcher& m : vs->matchers) {
        if (m.name() == "__name__") {
          throw ParseError{start, absl::StrCat("metric name must not be set twice: \"", vs->name,
                                               "\" or \"", m.value(), "\"")};
        }
      }
      vs->matchers.insert(vs->matchers.begin(),
                          *Matcher::Make(MatchType::kEqual, "__name__", vs->name));
    }
    bool non_empty = false;
    for (const Matcher& m : vs->matchers) non_empty |= !m.MatchesEmpty();
    if (!non_empty) {
      throw ParseError{start, "vector selector must contain at least one non-empty matcher"};
    }
    return vs;
  }

  ExprPtr ParseAggregate(AggOp op, int start) {
    auto agg = std::make_unique<AggregateExpr>();
    agg->op = op;
    bool grouped = false;
    auto grouping = [&]() {
      if (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) {
        if (grouped) Unexpected("aggregation");
        agg->without = Next().type == TokenType::kWithout;
        agg->grouping = ParseLabelList("grouping opts");
        grouped = true;
      }
    };
    grouping();
    Expect(TokenType::kLeftParen, "aggregation");
    std::vector<ExprPtr> args;
    while (Peek().type != TokenType::kRightParen) {
      args.push_back(ParseBinary(0));
      if (Peek().type == TokenType::kComma) {
        Next();
      } else if (Peek().type != TokenType::kRightParen) {
        Unexpected("aggregation", "\",\" or \")\"");
      }
    }
    const Token& rp = Next();
    agg->pos = {start, rp.pos.end};
    if (!grouped) {
      grouping();
      if (grouped) agg->pos.end = toks_[pos_ - 1].pos.end;
    }
    bool needs_param = op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile ||
                       op == AggOp::kCountValues;
    size_t want = needs_param ? 2 : 1;
    if (args.size() != want) {
      throw ParseError{start, absl::StrCat("wrong number of arguments for aggregate expression "
                                           "provided, expected ",
                                           want, ", got ", args.size())};
    }
    if (needs_param) agg->param = std::move(args[0]);
    agg->expr = std::move(args.back());
    ValueType et = agg->expr->Type();
    if (et != ValueType::kVector) {
      throw ParseError{agg->expr->pos.start,
                       absl::StrCat("expected type instant vector in aggregation expression, got ",
                                    Sv(ValueTypeName(et)))};
    }
    if (needs_param) {
      ValueType want_t = op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      ValueType pt = agg->param->Type();
      if (pt != want_t) {
        throw ParseError{agg->param->pos.start,
                         absl::StrCat("expected type ", Sv(ValueTypeName(want_t)),
                                      " in aggregation parameter, got ", Sv(ValueTypeName(pt)))};
      }
    }
    return agg;
  }

  ExprPtr ParseCall(const Token& name_tok) {
    const FunctionInfo* f = FindFunction(name_tok.text);
    if (f == nullptr) {
      throw ParseError{name_tok.pos.start, "unknown function with name \"" + name_tok.text + "\""};
    }
    auto call = std::make_unique<Call>();
    call->func = f;
    Expect(TokenType::kLeftParen, "function call");
    while (Peek().type != TokenType::kRightParen) {
      call->args.push_back(ParseBinary(0));
      if (Peek().type == TokenType::kComma) {
        Next();
      } else if (Peek().type != TokenType::kRightParen) {
        Unexpected("function call", "\",\" or \")\"");
      }
    }
    const Token& rp = Next();
    call->pos = {name_tok.pos.start, rp.pos.end};
    int start = name_tok.pos.start;
    size_t nargs = f->arg_types.size();
    size_t got = call->args.size();
    std::string fname(f->name);
    if (f->variadic == 0) {
      if (nargs != got) {
        throw ParseError{start, absl::StrCat("expected ", nargs, " argument(s) in call to \"", fname,
                                             "\", got ", got)};
      }
    } else {
      size_t min = nargs - 1;
      if (got < min) {
        throw ParseError{start, absl::StrCat("expected at least ", min,
                                             " argument(s) in call to \"", fname, "\", got ", got)};
      }
      if (f->variadic > 0 && got > min + f->variadic) {
        throw ParseError{start, absl::StrCat("expected at most ", min + f->variadic,
                                             " argument(s) in call to \"", fname, "\", got ", got)};
      }
    }
    for (size_t i = 0; i < got; ++i) {
      ValueType want = f->arg_types[std::min(i, nargs - 1)];
      ValueType have = call->args[i]->Type();
      if (want != have) {
        throw ParseError{call->args[i]->pos.start,
                         absl::StrCat("expected type ", Sv(ValueTypeName(want)),
                                      " in call to function \"", fname, "\", got ",
                                      Sv(ValueTypeName(have)))};
      }
    }
    return call;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        Token n = Next();
        auto lit = std::make_unique<NumberLiteral>();
        lit->value = ParseNumber(n.text, n.pos.start);
        lit->pos = n.pos;
        return lit;
      }
      case TokenType::kString: {
        Token s = Next();
        auto lit = std::make_unique<StringLiteral>();
        lit->value = s.text;
        lit->pos = s.pos;
        return lit;
      }
      case TokenType::kLeftParen: {
        Token lp = Next();
        auto p = std::make_unique<ParenExpr>();
        p->expr = ParseBinary(0);
        const Token& rp = Expect(TokenType::kRightParen, "paren expression");
        p->pos = {lp.pos.start, rp.pos.end};
        return p;
      }
      case TokenType::kLeftBrace:
        return ParseSelector("", t.pos.start);
      case TokenType::kIdentifier:
      case TokenType::kStart:
      case TokenType::kEnd: {
        Token id = Next();
        if (std::optional<AggOp> op = AggOpFromName(absl::AsciiStrToLower(id.text));
            op && (Peek().type == TokenType::kLeftParen || Peek().type == TokenType::kBy ||
                   Peek().type == TokenType::kWithout)) {
          return ParseAggregate(*op, id.pos.start);
        }
        if (Peek().type == TokenType::kLeftParen) return ParseCall(id);
        return ParseSelector(id.text, id.pos.start);
      }
      case TokenType::kDuration:
        Unexpected("", "expression");
      default:
        Unexpected("", "expression");
    }
  }

  static constexpr int kMaxDepth = 1000;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

absl::Status ToStatus(std::string_view input, const ParseError& e) {
  return absl::InvalidArgumentError(
      absl::StrCat(PositionString(input, e.pos), ": parse error: ", e.msg));
}

}  // namespace

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  Lexer lx(input);
  absl::StatusOr<std::vector<Token>> toks = lx.Tokenize();
  if (!toks.ok()) return toks.status();
  try {
    Parser p(*std::move(toks));
    return p.ParseTop();
  } catch (const ParseError& e) {
    return ToStatus(input, e);
  }
}

absl::StatusOr<Labels> ParseMetric(std::string_view input) {
  Lexer lx(input);
  absl::StatusOr<std::vector<Token>> toks = lx.Tokenize();
  if (!toks.ok()) return toks.status();
  try {
    Parser p(*std::move(toks));
    return p.ParseMetricOnly();
  } catch (const ParseError& e) {
    return ToStatus(input, e);
  }
}

}  // namespace strata::promql
