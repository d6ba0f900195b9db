#include "libs/ingest/influx.h"

#include <vector>

#include "absl/strings/str_cat.h"
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

// Integer division rounding toward minus infinity, so -1ns is in the millisecond -1.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool ToMillis(int64_t ts, InfluxPrecision p, int64_t* out) {
  switch (p) {
    case InfluxPrecision::kNanoseconds: *out = FloorDiv(ts, 1000000); return true;
    case InfluxPrecision::kMicroseconds: *out = FloorDiv(ts, 1000); return true;
    case InfluxPrecision::kMilliseconds: *out = ts; return true;
    case InfluxPrecision::kSeconds: return MulOverflow(ts, 1000, out);
    case InfluxPrecision::kMinutes: return MulOverflow(ts, 60000, out);
    case InfluxPrecision::kHours: return MulOverflow(ts, 3600000, out);
  }
  return false;
}

struct Field {
  std::string_view key;
  double value = 0;
};

class InfluxLineParser {
 public:
  explicit InfluxLineParser(const InfluxOptions& opts) : opts_(opts) {}

  // Parses one non-blank line; returns "" or why it is bad.
  std::string Parse(std::string_view line, ParseResult* result) {
    scratch_.Reset();
    tags_.clear();
    fields_.clear();
    line_ = line;
    i_ = 0;
    const size_t n = line.size();

    measurement_ = Token(", ");
    if (i_ < n && line[i_] == ',') {
      while (i_ < n && line[i_] == ',') {
        ++i_;
        std::string_view key = Token("=, ");
        if (key.empty()) return absl::StrCat(Where(), "empty tag key");
        if (i_ >= n || line[i_] != '=') {
          return absl::StrCat(Where(), "tag ", Quote(key), " has no '='");
        }
        ++i_;
        std::string_view value = Token(", ");
        if (value.empty()) return absl::StrCat(Where(), "tag ", Quote(key), " has an empty value");
        tags_.push_back({key, value});
      }
    }
    if (i_ >= n || line[i_] != ' ') return absl::StrCat(Where(), "missing fields");
    SkipSpaces();
    uint64_t strings = 0;
    while (true) {
      std::string_view key = Token("=, ");
      if (key.empty()) return absl::StrCat(Where(), "empty field key");
      if (i_ >= n || line[i_] != '=') {
        return absl::StrCat(Where(), "field ", Quote(key), " has no '='");
      }
      ++i_;
      if (i_ < n && line[i_] == '"') {
        ++i_;
        while (i_ < n && line[i_] != '"') i_ += (line[i_] == '\\') ? 2 : 1;
        if (i_ >= n) return absl::StrCat(Where(), "field ", Quote(key), ": unterminated string");
        ++i_;
        ++strings;
      } else {
        size_t start = i_;
        while (i_ < n && line[i_] != ',' && line[i_] != ' ') ++i_;
        std::string_view raw = line.substr(start, i_ - start);
        double v = 0;
        if (!ParseFieldValue(raw, &v)) {
          return absl::StrCat(Where(), "field ", Quote(key), ": cannot parse value ", Quote(raw));
        }
        fields_.push_back({key, v});
      }
      if (i_ < n && line[i_] == ',') {
        ++i_;
        continue;
      }
      break;
    }
    SkipSpaces();
    ts_ = opts_.now_ms;
    if (i_ < n) {
      size_t start = i_;
      while (i_ < n && line[i_] != ' ' && line[i_] != '\t') ++i_;
      std::string_view ts = line.substr(start, i_ - start);
      SkipSpaces();
      if (i_ < n) {
        return absl::StrCat(Where(), "unexpected text after the timestamp: ",
                            Quote(line.substr(i_)));
      }
      int64_t raw = 0;
      if (!ParseInt64Text(ts, &raw) || !ToMillis(raw, opts_.precision, &ts_)) {
        return absl::StrCat(Where(), "cannot parse timestamp ", Quote(ts));
      }
    }
    result->skipped_string_fields += strings;
    return "";
  }

  // Delivers one row per numeric field of the last parsed line.
  void Emit(RowSink& sink, ParseResult* result) {
    if (fields_.empty()) return;
    labels_.clear();
    labels_.push_back({"__name__", {}});
    bool has_db = false;
    for (const LabelView& t : tags_) {
      labels_.push_back(t);
      has_db = has_db || t.name == "db";
    }
    if (!has_db && !opts_.db.empty()) labels_.push_back({"db", opts_.db});
    bool name_is_measurement =
        !measurement_.empty() && fields_.size() == 1 && opts_.skip_single_field;
    for (const Field& f : fields_) {
      if (name_is_measurement) {
        labels_[0].value = measurement_;
      } else if (measurement_.empty()) {
        labels_[0].value = f.key;
      } else {
        name_.assign(measurement_).append(opts_.separator).append(f.key);
        labels_[0].value = name_;
      }
      Sample s{ts_, f.value};
      sink.OnRow(RowView{labels_, std::span<const Sample>(&s, 1)});
      ++result->rows;
      ++result->samples;
    }
  }

 private:
  std::string Where() const {
    if (measurement_.empty()) return "";
    return absl::StrCat("measurement ", Quote(measurement_), ": ");
  }

  void SkipSpaces() {
    while (i_ < line_.size() && (line_[i_] == ' ' || line_[i_] == '\t')) ++i_;
  }

  // Reads from i_ up to (not including) the first unescaped character of `stops`;
  // a backslash escapes the next character. Returns the unescaped token.
  std::string_view Token(std::string_view stops) {
    size_t start = i_;
    bool escaped = false;
    while (i_ < line_.size()) {
      char c = line_[i_];
      if (c == '\\' && i_ + 1 < line_.size()) {
        escaped = true;
        i_ += 2;
        continue;
      }
      if (stops.find(c) != std::string_view::npos) break;
      ++i_;
    }
    std::string_view tok = line_.substr(start, i_ - start);
    if (!escaped) return tok;
    // Only the characters that need escaping are unescaped; other backslashes stay.
    std::string& out = scratch_.Next();
    for (size_t k = 0; k < tok.size(); ++k) {
      if (tok[k] == '\\' && k + 1 < tok.size() &&
          (tok[k + 1] == ',' || tok[k + 1] == '=' || tok[k + 1] == ' ' || tok[k + 1] == '\\' ||
           tok[k + 1] == '"')) {
        ++k;
      }
      out.push_back(tok[k]);
    }
    return out;
  }

  static bool ParseFieldValue(std::string_view raw, double* v) {
    if (raw.empty()) return false;
    char last = raw.back();
    if (last == 'i') {
      int64_t x = 0;
      if (!ParseInt64Text(raw.substr(0, raw.size() - 1), &x)) return false;
      *v = static_cast<double>(x);
      return true;
    }
    if (last == 'u') {
      uint64_t x = 0;
      if (!ParseUint64Text(raw.substr(0, raw.size() - 1), &x)) return false;
      *v = static_cast<double>(x);
      return true;
    }
    if (raw == "t" || raw == "T" || raw == "true" || raw == "True" || raw == "TRUE") {
      *v = 1;
      return true;
    }
    if (raw == "f" || raw == "F" || raw == "false" || raw == "False" || raw == "FALSE") {
      *v = 0;
      return true;
    }
    // Influx floats are plain decimals: no NaN or Inf.
    char c = raw[0] == '-' || raw[0] == '+' ? (raw.size() > 1 ? raw[1] : 'x') : raw[0];
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
    return ParseFloatText(raw, v);
  }

  const InfluxOptions& opts_;
  ScratchStrings scratch_;
  std::string_view line_;
  size_t i_ = 0;
  std::string_view measurement_;
  std::vector<LabelView> tags_;
  std::vector<Field> fields_;
  std::vector<LabelView> labels_;
  std::string name_;
  int64_t ts_ = 0;
};

}  // namespace

absl::StatusOr<InfluxPrecision> ParseInfluxPrecision(std::string_view s) {
  if (s.empty() || s == "ns" || s == "n") return InfluxPrecision::kNanoseconds;
  if (s == "us" || s == "u" || s == "\xc2\xb5s") return InfluxPrecision::kMicroseconds;
  if (s == "ms") return InfluxPrecision::kMilliseconds;
  if (s == "s") return InfluxPrecision::kSeconds;
  if (s == "m") return InfluxPrecision::kMinutes;
  if (s == "h") return InfluxPrecision::kHours;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown precision \"", Sv(s), "\" (want ns, n, us, u, ms, s, m or h)"));
}

absl::Status ParseInflux(std::string_view body, const InfluxOptions& opts, RowSink& sink,
                         ParseResult* result) {
  InfluxLineParser parser(opts);
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (IsBlank(line) || line[0] == '#') continue;
    std::string err = parser.Parse(line, result);
    if (!err.empty()) {
      result->AddError(lines.line_number(), std::move(err));
      continue;
    }
    parser.Emit(sink, result);
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
