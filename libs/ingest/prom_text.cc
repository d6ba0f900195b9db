#include "libs/ingest/prom_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/ingest/line_reader.h"
#include "libs/ingest/scratch_strings.h"
#include "libs/ingest/text_number.h"

namespace strata::ingest {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Parses one sample line into labels_/sample_; returns "" or why the line is bad.
class PromTextLineParser {
 public:
  explicit PromTextLineParser(const PromTextOptions& opts) : opts_(opts) {}

  std::string Parse(std::string_view line) {
    labels_.clear();
    scratch_.Reset();
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && !IsSpace(line[i])) ++i;
    std::string_view name = line.substr(0, i);
    if (name.empty()) return "missing metric name";
    labels_.push_back({"__name__", name});
    size_t j = i;
    while (j < line.size() && IsSpace(line[j])) ++j;
    if (j < line.size() && line[j] == '{') {
      i = j;
      std::string err = ParseLabels(line, &i, name);
      if (!err.empty()) return err;
    }
    std::string_view rest = TrimSpace(line.substr(i));
    size_t sp = 0;
    while (sp < rest.size() && !IsSpace(rest[sp])) ++sp;
    std::string_view value = rest.substr(0, sp);
    std::string_view ts = TrimSpace(rest.substr(sp));
    if (value.empty()) return absl::StrCat("metric ", Quote(name), ": missing value");
    if (!ParseFloatText(value, &sample_.v)) {
      return absl::StrCat("metric ", Quote(name), ": cannot parse value ", Quote(value));
    }
    sample_.t = opts_.now_ms;
    if (!ts.empty()) {
      size_t end = 0;
      while (end < ts.size() && !IsSpace(ts[end])) ++end;
      if (end != ts.size()) {
        return absl::StrCat("metric ", Quote(name), ": unexpected text after the timestamp: ",
                            Quote(TrimSpace(ts.substr(end))));
      }
      if (!ParseInt64Text(ts, &sample_.t)) {
        return absl::StrCat("metric ", Quote(name), ": cannot parse timestamp ", Quote(ts),
                            " (want integer milliseconds)");
      }
    }
    if (!opts_.extra_labels.empty()) ApplyExtraLabels();
    return "";
  }

  const std::vector<LabelView>& labels() const { return labels_; }
  const Sample& sample() const { return sample_; }

 private:
  static std::string Quote(std::string_view s) {
    if (s.size() > 64) return absl::StrCat("\"", Sv(s.substr(0, 64)), "...\"");
    return absl::StrCat("\"", Sv(s), "\"");
  }

  // Parses `{name="value",...}` starting at line[*i] == '{'; leaves *i after '}'.
  std::string ParseLabels(std::string_view line, size_t* i, std::string_view metric) {
    size_t p = *i + 1;
    auto skip_space = [&] {
      while (p < line.size() && IsSpace(line[p])) ++p;
    };
    while (true) {
      skip_space();
      if (p >= line.size()) return absl::StrCat("metric ", Quote(metric), ": missing '}'");
      if (line[p] == '}') break;
      size_t start = p;
      while (p < line.size() && line[p] != '=' && line[p] != '}' && line[p] != ',' &&
             !IsSpace(line[p])) {
        ++p;
      }
      std::string_view lname = line.substr(start, p - start);
      if (lname.empty()) {
        return absl::StrCat("metric ", Quote(metric), ": missing label name at column ", p + 1);
      }
      skip_space();
      if (p >= line.size() || line[p] != '=') {
        return absl::StrCat("metric ", Quote(metric), ": missing '=' after label ", Quote(lname));
      }
      ++p;
      skip_space();
      if (p >= line.size() || line[p] != '"') {
        return absl::StrCat("metric ", Quote(metric), ": value of label ", Quote(lname),
                            " must start with '\"'");
      }
      ++p;
      size_t vstart = p;
      bool escaped = false;
      while (p < line.size() && line[p] != '"') {
        if (line[p] == '\\') {
          escaped = true;
          ++p;
        }
        ++p;
      }
      if (p >= line.size()) {
        return absl::StrCat("metric ", Quote(metric), ": unterminated value of label ",
                            Quote(lname));
      }
      std::string_view lvalue = line.substr(vstart, p - vstart);
      ++p;  // closing quote
      if (escaped) {
        std::string& out = scratch_.Next();
        for (size_t k = 0; k < lvalue.size(); ++k) {
          char c = lvalue[k];
          if (c != '\\') {
            out.push_back(c);
            continue;
          }
          char e = lvalue[++k];  // in range: the scan above skipped escaped characters
          if (e == '\\' || e == '"') {
            out.push_back(e);
          } else if (e == 'n') {
            out.push_back('\n');
          } else {
            return absl::StrCat("metric ", Quote(metric), ": invalid escape \\",
                                Sv(std::string_view(&e, 1)), " in value of label ", Quote(lname));
          }
        }
        lvalue = out;
      }
      labels_.push_back({lname, lvalue});
      skip_space();
      if (p < line.size() && line[p] == ',') {
        ++p;
        continue;
      }
      if (p < line.size() && line[p] == '}') break;
      return absl::StrCat("metric ", Quote(metric), ": expected ',' or '}' after label ",
                          Quote(lname));
    }
    *i = p + 1;
    return "";
  }

  void ApplyExtraLabels() {
    size_t out = 0;
    for (size_t k = 0; k < labels_.size(); ++k) {
      bool replaced = false;
      for (const Label& e : opts_.extra_labels) replaced = replaced || e.name == labels_[k].name;
      if (!replaced) labels_[out++] = labels_[k];
    }
    labels_.resize(out);
    for (const Label& e : opts_.extra_labels) labels_.push_back({e.name, e.value});
  }

  const PromTextOptions& opts_;
  std::vector<LabelView> labels_;
  ScratchStrings scratch_;
  Sample sample_;
};

}  // namespace

absl::Status ParsePromText(std::string_view body, const PromTextOptions& opts, RowSink& sink,
                           ParseResult* result) {
  PromTextLineParser parser(opts);
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    line = TrimSpace(line);
    if (line.empty() || line[0] == '#') continue;
    std::string err = parser.Parse(line);
    if (!err.empty()) {
      result->AddError(lines.line_number(), std::move(err));
      continue;
    }
    const Sample& s = parser.sample();
    sink.OnRow(RowView{parser.labels(), std::span<const Sample>(&s, 1)});
    ++result->rows;
    ++result->samples;
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
