#include "libs/ingest/csv.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/absl_compat.h"
#include "libs/ingest/line_reader.h"
#include "libs/ingest/scratch_strings.h"
#include "libs/ingest/text_number.h"

namespace strata::ingest {
namespace {

std::string Quote(std::string_view s) {
  if (s.size() > 64) return absl::StrCat("\"", Sv(s.substr(0, 64)), "...\"");
  return absl::StrCat("\"", Sv(s), "\"");
}

// Splits one CSV line into fields (RFC 4180 quoting, "" inside quotes = one quote).
// Returns "" or why the line is bad.
std::string SplitFields(std::string_view line, ScratchStrings& scratch,
                        std::vector<std::string_view>* fields) {
  fields->clear();
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      size_t start = ++i;
      bool doubled = false;
      while (true) {
        if (i >= line.size()) {
          return absl::StrCat("unterminated quoted field in column ", fields->size() + 1);
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            doubled = true;
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      std::string_view raw = line.substr(start, i - start);
      ++i;  // closing quote
      if (doubled) {
        std::string& out = scratch.Next();
        for (size_t k = 0; k < raw.size(); ++k) {
          out.push_back(raw[k]);
          if (raw[k] == '"') ++k;
        }
        raw = out;
      }
      fields->push_back(raw);
      if (i < line.size() && line[i] != ',') {
        return absl::StrCat("text after the closing quote in column ", fields->size());
      }
    } else {
      size_t comma = line.find(',', i);
      size_t end = comma == std::string_view::npos ? line.size() : comma;
      fields->push_back(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) return "";
    ++i;  // the comma
  }
}

bool ParseTime(std::string_view s, const CsvFormat::Column& c, int64_t* out) {
  const CsvFormat::TimeFormat f = c.time_format;
  switch (f) {
    case CsvFormat::TimeFormat::kUnixS:
    case CsvFormat::TimeFormat::kUnixMs: {
      double v = 0;
      return ParseFloatText(s, &v) &&
             FloatToMillis(v, f == CsvFormat::TimeFormat::kUnixS ? 1000 : 1, out);
    }
    case CsvFormat::TimeFormat::kUnixNs: {
      int64_t ns = 0;
      if (!ParseInt64Text(s, &ns)) return false;
      *out = ns / 1000000 - ((ns % 1000000 < 0) ? 1 : 0);
      return true;
    }
    case CsvFormat::TimeFormat::kRfc3339:
    case CsvFormat::TimeFormat::kCustom: {
      absl::Time t;
      std::string err;
      const std::string& layout =
          f == CsvFormat::TimeFormat::kRfc3339 ? absl::RFC3339_full : c.time_layout;
      if (!absl::ParseTime(layout, Sv(s), &t, &err)) return false;
      *out = absl::ToUnixMillis(t);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string GoLayoutToAbsl(std::string_view layout, bool* has_element) {
  // Longest elements first, so "2006" wins over "2" and "15" over "1".
  static constexpr std::pair<std::string_view, std::string_view> kElements[] = {
      {"January", "%B"}, {"Monday", "%A"}, {"Z07:00", "%Ez"}, {"-07:00", "%Ez"},
      {"Z0700", "%z"},   {"-0700", "%z"},  {"2006", "%Y"},    {"Jan", "%b"},
      {"Mon", "%a"},     {"MST", "%Z"},    {"01", "%m"},      {"02", "%d"},
      {"_2", "%e"},      {"03", "%I"},     {"04", "%M"},      {"05", "%E*S"},
      {"06", "%y"},      {"15", "%H"},     {"PM", "%p"},      {"pm", "%p"},
      {"1", "%m"},       {"2", "%d"},      {"3", "%I"},       {"4", "%M"},
      {"5", "%E*S"},
  };
  std::string out;
  *has_element = false;
  size_t i = 0;
  while (i < layout.size()) {
    bool matched = false;
    for (const auto& [go, absl_fmt] : kElements) {
      if (layout.substr(i, go.size()) != go) continue;
      out.append(absl_fmt);
      i += go.size();
      matched = true;
      *has_element = true;
      if (absl_fmt == "%E*S" && i + 1 < layout.size() &&
          (layout[i] == '.' || layout[i] == ',') &&
          (layout[i + 1] == '0' || layout[i + 1] == '9')) {
        // %E*S already reads an optional fraction.
        char digit = layout[i + 1];
        ++i;
        while (i < layout.size() && layout[i] == digit) ++i;
      }
      break;
    }
    if (matched) continue;
    if (layout[i] == '%') out.push_back('%');
    out.push_back(layout[i++]);
  }
  return out;
}

absl::StatusOr<CsvFormat> CsvFormat::Parse(std::string_view spec) {
  CsvFormat f;
  bool has_time = false, has_metric = false;
  std::string_view rest = spec;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view entry = rest.substr(0, comma);
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad CSV format entry ", Quote(entry), ": ", Sv(why)));
    };
    size_t c1 = entry.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : entry.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return bad("want <column>:<metric|label|time>:<arg>");
    uint64_t n = 0;
    if (!ParseUint64Text(entry.substr(0, c1), &n) || n == 0 || n > 100000) {
      return bad("the column must be a number from 1");
    }
    std::string_view kind = entry.substr(c1 + 1, c2 - c1 - 1);
    std::string_view arg = entry.substr(c2 + 1);
    Column col;
    col.index = n - 1;
    if (kind == "metric" || kind == "label") {
      if (arg.empty()) return bad("missing name");
      col.kind = kind == "metric" ? Kind::kMetric : Kind::kLabel;
      col.name = std::string(arg);
      has_metric = has_metric || col.kind == Kind::kMetric;
    } else if (kind == "time") {
      if (has_time) return bad("only one time column is allowed");
      has_time = true;
      col.kind = Kind::kTime;
      if (arg == "unix_s") {
        col.time_format = TimeFormat::kUnixS;
      } else if (arg == "unix_ms") {
        col.time_format = TimeFormat::kUnixMs;
      } else if (arg == "unix_ns") {
        col.time_format = TimeFormat::kUnixNs;
      } else if (arg == "rfc3339") {
        col.time_format = TimeFormat::kRfc3339;
      } else if (arg.substr(0, 7) == "custom:") {
        bool has_element = false;
        col.time_format = TimeFormat::kCustom;
        col.time_layout = GoLayoutToAbsl(arg.substr(7), &has_element);
        if (!has_element) return bad("the custom layout has no Go time element (e.g. 2006)");
      } else {
        return bad("time format must be unix_s, unix_ms, unix_ns, rfc3339 or custom:<layout>");
      }
    } else {
      return bad("the type must be metric, label or time");
    }
    for (const Column& c : f.columns_) {
      if (c.index == col.index) return bad("column used twice");
    }
    f.columns_.push_back(std::move(col));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!has_metric) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSV format ", Quote(spec), " has no metric column"));
  }
  std::sort(f.columns_.begin(), f.columns_.end(),
            [](const Column& a, const Column& b) { return a.index < b.index; });
  return f;
}

absl::Status ParseCsv(std::string_view body, const CsvFormat& format, const CsvOptions& opts,
                      RowSink& sink, ParseResult* result) {
  LineReader lines(body);
  ScratchStrings scratch;
  std::vector<std::string_view> fields;
  std::vector<LabelView> labels;
  std::string_view line;
  const auto& columns = format.columns();
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    scratch.Reset();
    std::string err = SplitFields(line, scratch, &fields);
    if (err.empty() && columns.back().index >= fields.size()) {
      err = absl::StrCat("missing column ", columns.back().index + 1, " (the line has ",
                         fields.size(), ")");
    }
    int64_t t = opts.now_ms;
    labels.clear();
    labels.push_back({"__name__", {}});
    for (size_t k = 0; err.empty() && k < columns.size(); ++k) {
      const CsvFormat::Column& c = columns[k];
      if (c.kind == CsvFormat::Kind::kLabel) {
        labels.push_back({c.name, fields[c.index]});
      } else if (c.kind == CsvFormat::Kind::kTime && !ParseTime(fields[c.index], c, &t)) {
        err = absl::StrCat("column ", c.index + 1, ": cannot parse time ",
                           Quote(fields[c.index]));
      }
    }
    // Values are checked before any row of the line is delivered.
    for (size_t k = 0; err.empty() && k < columns.size(); ++k) {
      const CsvFormat::Column& c = columns[k];
      double v = 0;
      if (c.kind == CsvFormat::Kind::kMetric && !fields[c.index].empty() &&
          !ParseFloatText(fields[c.index], &v)) {
        err = absl::StrCat("column ", c.index + 1, ": cannot parse value ",
                           Quote(fields[c.index]), " of metric ", Quote(c.name));
      }
    }
    if (!err.empty()) {
      result->AddError(lines.line_number(), std::move(err));
      continue;
    }
    for (const CsvFormat::Column& c : columns) {
      // An empty metric cell means "no sample for this metric on this line".
      if (c.kind != CsvFormat::Kind::kMetric || fields[c.index].empty()) continue;
      Sample s{t, 0};
      ParseFloatText(fields[c.index], &s.v);
      labels[0].value = c.name;
      sink.OnRow(RowView{labels, std::span<const Sample>(&s, 1)});
      ++result->rows;
      ++result->samples;
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
