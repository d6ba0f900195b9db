#include "tools/promqltest/script_runner.h"

#include "tools/promqltest/series_notation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/absl_compat.h"
#include "libs/common/duration.h"
#include "libs/promql/engine/engine.h"
#include "libs/promql/functions/format.h"
#include "libs/promql/memory_storage.h"
#include "libs/promql/parser/lexer.h"
#include "libs/promql/parser/parser.h"
#include "libs/promql/parser/printer.h"
#include "re2/re2.h"

namespace strata::promqltest {
namespace {

using promql::Engine;
using promql::EngineOptions;
using promql::MemoryStorage;
using promql::Result;
using promql::ValueType;

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(Sv(s))); }
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Fmt(double v) {
  if (IsStaleNaN(v)) return "stale";
  return promql::fn::FormatFloatG(v);
}

struct ExpectedSeries {
  Labels labels;
  std::vector<ExpandedValue> values;
};

struct EvalCmd {
  int line = 0;
  std::string expr;
  bool instant = true;
  int64_t start = 0, end = 0, step = 0;
  bool fail = false;
  bool ordered = false;
  bool expect_warn = false, expect_no_warn = false, expect_info = false;
  std::optional<std::string> fail_msg;
  std::optional<std::string> fail_regex;
  std::optional<double> scalar;
  std::optional<std::string> expect_string;
  std::vector<ExpectedSeries> series;
  bool native_histogram = false;
  std::string parse_error;
};


class FileRun {
 public:
  FileRun(const RunnerOptions& opts, std::string_view name, std::ostream* out)
      : opts_(opts), name_(name), out_(out), engine_(MakeOptions()) {}

  static EngineOptions MakeOptions() {
    EngineOptions o;
    o.lookback_delta_ms = 5 * 60 * 1000;
    o.max_samples = 10000;
    o.default_subquery_step_ms = 60 * 1000;
    return o;
  }

  FileResult Run(std::string_view text) {
    std::vector<std::string> lines = absl::StrSplit(Sv(text), '\n');
    size_t i = 0;
    while (i < lines.size()) {
      std::string l = Trim(lines[i]);
      if (l.empty() || l[0] == '#') {
        ++i;
        continue;
      }
      // The body: following non-blank, non-comment lines.
      size_t j = i + 1;
      std::vector<std::pair<int, std::string>> body;
      while (j < lines.size()) {
        std::string b = Trim(lines[j]);
        if (b.empty() || b[0] == '#') break;
        body.push_back({static_cast<int>(j + 1), b});
        ++j;
      }
      if (StartsWith(l, "load")) {
        Load(static_cast<int>(i + 1), l, body);
      } else if (l == "clear") {
        storage_.Clear();
        j = i + 1;  // clear has no body; the next line may start a command
      } else if (StartsWith(l, "eval")) {
        Eval(static_cast<int>(i + 1), l, body);
      } else {
        Report(static_cast<int>(i + 1), l, "unknown command");
        res_.parse_error = true;
        ++res_.failed;
      }
      i = j;
    }
    return res_;
  }

 private:
  void Report(int line, std::string_view expr, std::string_view msg) {
    if (out_ != nullptr) *out_ << name_ << ":" << line << ": " << expr << ": " << msg << "\n";
  }

  void Load(int line, const std::string& cmd, const std::vector<std::pair<int, std::string>>& body) {
    std::vector<std::string> parts = absl::StrSplit(cmd, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2 || (parts[0] != "load" && parts[0] != "load_with_nhcb")) {
      Report(line, cmd, "invalid load command");
      res_.parse_error = true;
      ++res_.failed;
      return;
    }
    absl::StatusOr<int64_t> interval = ParseDuration(parts[1]);
    if (!interval.ok()) {
      Report(line, cmd, interval.status().ToString());
      res_.parse_error = true;
      ++res_.failed;
      return;
    }
    std::map<Labels, std::vector<Sample>> block;
    for (const auto& [ln, text] : body) {
      if (text.find("{{") != std::string::npos) {
        // Native histogram samples: not supported by this engine.
        continue;
      }
      std::string series;
      std::vector<std::string> items;
      absl::Status st = SplitSeriesLine(text, &series, &items);
      absl::StatusOr<Labels> ls = st.ok() ? promql::ParseMetric(series) : absl::StatusOr<Labels>(st);
      if (!ls.ok()) {
        Report(ln, text, std::string(ls.status().message()));
        res_.parse_error = true;
        ++res_.failed;
        continue;
      }
      absl::StatusOr<std::vector<ExpandedValue>> vals = ExpandValues(items);
      if (!vals.ok()) {
        Report(ln, text, std::string(vals.status().message()));
        res_.parse_error = true;
        ++res_.failed;
        continue;
      }
      std::vector<Sample> samples;
      for (size_t k = 0; k < vals->size(); ++k) {
        if ((*vals)[k].omitted) continue;
        samples.push_back({static_cast<int64_t>(k) * *interval, (*vals)[k].v});
      }
      block[*ls] = std::move(samples);
    }
    for (const auto& [ls, samples] : block) storage_.Append(ls, samples);
  }

  void ParseEval(int line, const std::string& cmd, const std::vector<std::pair<int, std::string>>& body,
                 EvalCmd* ev) {
    ev->line = line;
    std::string rest;
    std::string kw = cmd.substr(0, cmd.find_first_of(" \t"));
    rest = Trim(cmd.substr(kw.size()));
    if (kw == "eval_fail") ev->fail = true;
    else if (kw == "eval_ordered") ev->ordered = true;
    else if (kw == "eval_warn") ev->expect_warn = true;
    else if (kw == "eval_info") ev->expect_info = true;
    else if (kw != "eval") {
      ev->parse_error = "unknown eval command " + kw;
      return;
    }
    auto next_word = [&]() {
      rest = Trim(rest);
      size_t p = rest.find_first_of(" \t");
      std::string w = rest.substr(0, p);
      rest = p == std::string::npos ? "" : rest.substr(p);
      return w;
    };
    std::string mode = next_word();
    auto dur = [&](const std::string& w, int64_t* outv) {
      absl::StatusOr<int64_t> d = ParseDuration(w);
      if (!d.ok()) {
        ev->parse_error = std::string(d.status().message());
        return false;
      }
      *outv = *d;
      return true;
    };
    if (mode == "instant") {
      if (next_word() != "at") {
        ev->parse_error = "expected 'at'";
        return;
      }
      if (!dur(next_word(), &ev->start)) return;
      ev->end = ev->start;
    } else if (mode == "range") {
      ev->instant = false;
      if (next_word() != "from" || !dur(next_word(), &ev->start) || next_word() != "to" ||
          !dur(next_word(), &ev->end) || next_word() != "step" || !dur(next_word(), &ev->step)) {
        if (ev->parse_error.empty()) ev->parse_error = "invalid range eval";
        return;
      }
    } else {
      ev->parse_error = "expected 'instant' or 'range'";
      return;
    }
    ev->expr = Trim(rest);
    for (const auto& [ln, text] : body) {
      if (StartsWith(text, "expect ") || text == "expect") {
        std::string e = Trim(text.substr(6));
        if (StartsWith(e, "fail")) {
          ev->fail = true;
          std::string m = Trim(e.substr(4));
          if (StartsWith(m, "msg:")) ev->fail_msg = Trim(m.substr(4));
          if (StartsWith(m, "regex:")) ev->fail_regex = Trim(m.substr(6));
        } else if (StartsWith(e, "no_warn")) {
          ev->expect_no_warn = true;
        } else if (StartsWith(e, "warn")) {
          ev->expect_warn = true;
        } else if (StartsWith(e, "ordered")) {
          ev->ordered = true;
        } else if (StartsWith(e, "string")) {
          absl::StatusOr<std::string> s = promql::UnquoteString(Trim(e.substr(6)));
          if (s.ok()) ev->expect_string = *s;
        } else if (StartsWith(e, "info") || StartsWith(e, "no_info")) {
          // Info annotations are not produced; only checked when asked for.
          if (StartsWith(e, "info")) ev->expect_info = true;
        } else if (StartsWith(e, "range vector")) {
          ev->parse_error = "expect range vector is not supported";
        }
        continue;
      }
      if (StartsWith(text, "expected_fail_message") || StartsWith(text, "expected_fail_regexp")) {
        continue;
      }
      if (text.find("{{") != std::string::npos) {
        ev->native_histogram = true;
        continue;
      }
      if (ev->series.empty() && !ev->scalar) {
        if (std::optional<double> sv = ParseScalarLine(text)) {
          ev->scalar = *sv;
          continue;
        }
      }
      std::string series;
      std::vector<std::string> items;
      absl::Status st = SplitSeriesLine(text, &series, &items);
      absl::StatusOr<Labels> ls = st.ok() ? promql::ParseMetric(series) : absl::StatusOr<Labels>(st);
      if (!ls.ok()) {
        ev->parse_error = absl::StrCat("line ", ln, ": ", std::string(ls.status().message()));
        return;
      }
      absl::StatusOr<std::vector<ExpandedValue>> vals = ExpandValues(items);
      if (!vals.ok()) {
        ev->parse_error = absl::StrCat("line ", ln, ": ", std::string(vals.status().message()));
        return;
      }
      ev->series.push_back({*ls, *vals});
    }
  }

  void Eval(int line, const std::string& cmd, const std::vector<std::pair<int, std::string>>& body) {
    EvalCmd ev;
    ParseEval(line, cmd, body, &ev);
    if (!ev.parse_error.empty()) {
      Report(line, cmd, "cannot parse eval: " + ev.parse_error);
      res_.parse_error = true;
      ++res_.failed;
      return;
    }
    if (ev.native_histogram || (opts_.skip_native_histograms && UsesNativeHistogramFn(ev.expr))) {
      if (opts_.skip_native_histograms) {
        ++res_.skipped;
        return;
      }
    }
    absl::StatusOr<promql::ExprPtr> parsed = promql::ParseExpr(ev.expr);
    if (!parsed.ok()) {
      Report(line, ev.expr, absl::StrCat("parse error: ", std::string(parsed.status().message())));
      ++res_.failed;
      return;
    }
    std::string err = RunEval(ev, **parsed);
    if (err.empty()) {
      ++res_.passed;
    } else {
      Report(line, ev.expr, err);
      ++res_.failed;
    }
  }

  static bool UsesNativeHistogramFn(const std::string& expr) {
    return expr.find("histogram_count") != std::string::npos ||
           expr.find("histogram_sum") != std::string::npos ||
           expr.find("histogram_fraction") != std::string::npos;
  }

  // Sets `@ t` on every selector and subquery that has none, not descending into
  // subqueries (FORMAT.md 7.6). Returns false when the expression calls a
  // time-dependent function, in which case the check does not apply.
  static bool AddAt(promql::Expr* e, int64_t t) {
    using promql::NodeKind;
    switch (e->kind) {
      case NodeKind::kVectorSelector: {
        auto* vs = static_cast<promql::VectorSelector*>(e);
        if (vs->at == promql::AtKind::kStart || vs->at == promql::AtKind::kEnd) return false;
        if (vs->at == promql::AtKind::kNone) {
          vs->at = promql::AtKind::kTimestamp;
          vs->at_ms = t;
        }
        return true;
      }
      case NodeKind::kMatrixSelector:
        return AddAt(static_cast<promql::MatrixSelector*>(e)->vector_selector.get(), t);
      case NodeKind::kSubquery: {
        auto* sq = static_cast<promql::SubqueryExpr*>(e);
        if (sq->at == promql::AtKind::kStart || sq->at == promql::AtKind::kEnd) return false;
        if (sq->at == promql::AtKind::kNone) {
          sq->at = promql::AtKind::kTimestamp;
          sq->at_ms = t;
        }
        return !HasTimeFn(*sq->expr);
      }
      case NodeKind::kParen:
        return AddAt(static_cast<promql::ParenExpr*>(e)->expr.get(), t);
      case NodeKind::kUnary:
        return AddAt(static_cast<promql::UnaryExpr*>(e)->expr.get(), t);
      case NodeKind::kBinary: {
        auto* b = static_cast<promql::BinaryExpr*>(e);
        bool l = AddAt(b->lhs.get(), t);
        bool r = AddAt(b->rhs.get(), t);
        return l && r;
      }
      case NodeKind::kAggregate: {
        auto* a = static_cast<promql::AggregateExpr*>(e);
        bool ok = AddAt(a->expr.get(), t);
        if (a->param) ok = AddAt(a->param.get(), t) && ok;
        return ok;
      }
      case NodeKind::kCall: {
        auto* c = static_cast<promql::Call*>(e);
        bool ok = !IsTimeFn(c->func->name);
        for (auto& a : c->args) ok = AddAt(a.get(), t) && ok;
        return ok;
      }
      default:
        return true;
    }
  }

  static bool IsTimeFn(std::string_view n) {
    static const char* kFns[] = {"time", "timestamp", "predict_linear", "hour", "minute", "month",
                                 "year", "day_of_month", "day_of_week", "day_of_year",
                                 "days_in_month"};
    for (const char* f : kFns) {
      if (n == f) return true;
    }
    return false;
  }

  static bool HasTimeFn(const promql::Expr& e) {
    using promql::NodeKind;
    switch (e.kind) {
      case NodeKind::kMatrixSelector:
      case NodeKind::kVectorSelector:
      case NodeKind::kNumber:
      case NodeKind::kString:
        return false;
      case NodeKind::kSubquery: return HasTimeFn(*static_cast<const promql::SubqueryExpr&>(e).expr);
      case NodeKind::kParen: return HasTimeFn(*static_cast<const promql::ParenExpr&>(e).expr);
      case NodeKind::kUnary: return HasTimeFn(*static_cast<const promql::UnaryExpr&>(e).expr);
      case NodeKind::kBinary: {
        auto& b = static_cast<const promql::BinaryExpr&>(e);
        return HasTimeFn(*b.lhs) || HasTimeFn(*b.rhs);
      }
      case NodeKind::kAggregate: {
        auto& a = static_cast<const promql::AggregateExpr&>(e);
        return HasTimeFn(*a.expr) || (a.param && HasTimeFn(*a.param));
      }
      case NodeKind::kCall: {
        auto& c = static_cast<const promql::Call&>(e);
        if (IsTimeFn(c.func->name)) return true;
        for (const auto& a : c.args) {
          if (HasTimeFn(*a)) return true;
        }
        return false;
      }
    }
    return false;
  }

  // True when some selector or subquery uses @ start() / @ end(), whose meaning
  // depends on the query range (so the extra checks do not apply, as in Prometheus HEAD).
  static bool UsesStartEnd(const promql::Expr& e) {
    std::string s = promql::ExprToString(e);  // the printer spells these exactly so
    return s.find("@ start()") != std::string::npos || s.find("@ end()") != std::string::npos;
  }

  std::string RunEval(const EvalCmd& ev, const promql::Expr& expr) {
    bool extra_checks = !UsesStartEnd(expr);
    std::string e = RunEvalOnce(ev, expr, ev.start, extra_checks);
    if (!e.empty() || !ev.instant || !opts_.check_at_modifier || !extra_checks) return e;
    // @-modifier invariance: with every selector pinned to t, other eval times give
    // the same answer.
    absl::StatusOr<promql::ExprPtr> pinned = promql::ParseExpr(ev.expr);
    if (!pinned.ok() || !AddAt(pinned->get(), ev.start)) return "";
    std::vector<int64_t> times = {-10 * ev.start, 0, ev.start / 5, ev.start, 10 * ev.start};
    if (ev.start == 0) times = {-1000, 0, 1000};
    for (int64_t t : times) {
      std::string e2 = RunEvalOnce(ev, **pinned, t, true);
      if (!e2.empty()) return absl::StrCat("with @ ", ev.start, "ms evaluated at ", t, "ms: ", e2);
    }
    return "";
  }

  std::string RunEvalOnce(const EvalCmd& ev, const promql::Expr& expr, int64_t eval_time,
                          bool range_check) {
    absl::StatusOr<Result> r =
        ev.instant ? engine_.Exec(storage_, expr, eval_time, eval_time, 0, true)
                   : engine_.Exec(storage_, expr, ev.start, ev.end, ev.step, false);
    if (ev.fail) {
      if (r.ok()) return "expected the query to fail, but it succeeded";
      std::string msg(r.status().message());
      if (ev.fail_msg && *ev.fail_msg != msg) {
        return absl::StrCat("expected error \"", *ev.fail_msg, "\", got \"", msg, "\"");
      }
      if (ev.fail_regex && !RE2::PartialMatch(msg, *ev.fail_regex)) {
        return absl::StrCat("expected error matching /", *ev.fail_regex, "/, got \"", msg, "\"");
      }
      return "";
    }
    if (!r.ok()) return absl::StrCat("unexpected error: ", r.status().ToString());
    if (ev.expect_warn && r->warnings.empty()) return "expected a warning, got none";
    if (ev.expect_no_warn && !r->warnings.empty()) return "expected no warnings, got " + r->warnings[0];
    std::string e = ev.instant ? CompareInstant(ev, *r) : CompareRange(ev, *r);
    if (!e.empty() || !ev.instant || ev.ordered || !opts_.check_range_mode || !range_check) return e;
    if (r->type != ValueType::kVector && r->type != ValueType::kScalar) return e;
    // Range-mode consistency: the same expression as a range query around t.
    absl::StatusOr<Result> rr =
        engine_.Exec(storage_, expr, eval_time - 60000, eval_time + 60000, 60000, false);
    if (!rr.ok()) return absl::StrCat("range-mode evaluation failed: ", rr.status().ToString());
    Result at_t;
    at_t.type = r->type;
    for (const promql::SeriesPoints& s : rr->matrix) {
      for (const Sample& p : s.points) {
        if (p.t != eval_time) continue;
        if (r->type == ValueType::kScalar) {
          at_t.scalar = {p.t, p.v};
        } else {
          at_t.vector.push_back({s.metric, p.t, p.v});
        }
      }
    }
    std::string e2 = CompareInstant(ev, at_t);
    if (!e2.empty()) return "in range-mode check: " + e2;
    return "";
  }

  static std::string DescribeVector(const promql::Vector& v) {
    std::vector<std::string> parts;
    for (const auto& s : v) parts.push_back(absl::StrCat(s.metric.ToString(), " ", Fmt(s.v)));
    std::sort(parts.begin(), parts.end());
    return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  }

  std::string CompareInstant(const EvalCmd& ev, const Result& r) {
    if (ev.expect_string) {
      if (r.type != ValueType::kString) return "expected a string result";
      if (r.string.v != *ev.expect_string) return absl::StrCat("expected string \"", *ev.expect_string, "\", got \"", r.string.v, "\"");
      return "";
    }
    if (ev.scalar) {
      if (r.type != ValueType::kScalar) {
        return absl::StrCat("expected scalar ", Fmt(*ev.scalar), ", got a ",
                            std::string(promql::ValueTypeName(r.type)));
      }
      if (!AlmostEqual(*ev.scalar, r.scalar.v)) {
        return absl::StrCat("expected scalar ", Fmt(*ev.scalar), ", got ", Fmt(r.scalar.v));
      }
      return "";
    }
    if (r.type == ValueType::kScalar) {
      return absl::StrCat("expected a vector, got scalar ", Fmt(r.scalar.v));
    }
    if (r.type != ValueType::kVector) {
      return absl::StrCat("expected a vector, got a ", std::string(promql::ValueTypeName(r.type)));
    }
    std::string want;
    {
      std::vector<std::string> parts;
      for (const auto& s : ev.series) {
        parts.push_back(absl::StrCat(s.labels.ToString(), " ",
                                     s.values.empty() ? "?" : Fmt(s.values[0].v)));
      }
      std::sort(parts.begin(), parts.end());
      want = absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
    auto mismatch = [&](std::string why) {
      return absl::StrCat(why, "; expected ", want, ", got ", DescribeVector(r.vector));
    };
    if (r.vector.size() != ev.series.size()) {
      return mismatch(absl::StrCat("expected ", ev.series.size(), " series, got ", r.vector.size()));
    }
    std::map<Labels, std::pair<size_t, double>> got;
    for (size_t i = 0; i < r.vector.size(); ++i) {
      if (!got.try_emplace(r.vector[i].metric, i, r.vector[i].v).second) {
        return mismatch("duplicate series in result");
      }
    }
    for (size_t i = 0; i < ev.series.size(); ++i) {
      const ExpectedSeries& e = ev.series[i];
      if (e.values.size() != 1 || e.values[0].omitted) return "instant eval expects exactly one value per series";
      auto it = got.find(e.labels);
      if (it == got.end()) return mismatch(absl::StrCat("missing ", e.labels.ToString()));
      if (ev.ordered && it->second.first != i) {
        return mismatch(absl::StrCat(e.labels.ToString(), " expected at position ", i + 1,
                                     ", got position ", it->second.first + 1));
      }
      if (!AlmostEqual(e.values[0].v, it->second.second)) {
        return mismatch(absl::StrCat("value of ", e.labels.ToString()));
      }
    }
    return "";
  }

  std::string CompareRange(const EvalCmd& ev, const Result& r) {
    if (r.type != ValueType::kMatrix) return "expected a matrix result";
    std::map<Labels, const promql::SeriesPoints*> got;
    for (const auto& s : r.matrix) got[s.metric] = &s;
    if (got.size() != ev.series.size()) {
      return absl::StrCat("expected ", ev.series.size(), " series, got ", got.size());
    }
    int64_t nsteps = (ev.end - ev.start) / ev.step + 1;
    for (const ExpectedSeries& e : ev.series) {
      auto it = got.find(e.labels);
      if (it == got.end()) return absl::StrCat("missing series ", e.labels.ToString());
      if (static_cast<int64_t>(e.values.size()) > nsteps) return "more expected values than steps";
      std::vector<Sample> want;
      for (size_t k = 0; k < e.values.size(); ++k) {
        if (!e.values[k].omitted) want.push_back({ev.start + static_cast<int64_t>(k) * ev.step, e.values[k].v});
      }
      const auto& pts = it->second->points;
      if (pts.size() != want.size()) {
        return absl::StrCat(e.labels.ToString(), ": expected ", want.size(), " points, got ", pts.size());
      }
      for (size_t k = 0; k < pts.size(); ++k) {
        if (pts[k].t != want[k].t || !AlmostEqual(want[k].v, pts[k].v)) {
          return absl::StrCat(e.labels.ToString(), ": point ", k, " expected ", Fmt(want[k].v), "@",
                              want[k].t, ", got ", Fmt(pts[k].v), "@", pts[k].t);
        }
      }
    }
    return "";
  }

  const RunnerOptions& opts_;
  std::string name_;
  std::ostream* out_;
  MemoryStorage storage_;
  Engine engine_;
  FileResult res_;
};

}  // namespace

FileResult ScriptRunner::RunScript(std::string_view name, std::string_view text, std::ostream* out) {
  FileRun run(opts_, name, out);
  return run.Run(text);
}

FileResult ScriptRunner::RunFile(const std::string& path, std::ostream* out) {
  std::ifstream in(path);
  if (!in) {
    if (out != nullptr) *out << path << ": cannot open file\n";
    FileResult r;
    r.parse_error = true;
    r.failed = 1;
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return RunScript(path, ss.str(), out);
}

}  // namespace strata::promqltest
