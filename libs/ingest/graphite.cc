#include "libs/ingest/graphite.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/ingest/line_reader.h"
#include "libs/ingest/prom_names.h"
#include "libs/ingest/scratch_strings.h"
#include "libs/ingest/text_number.h"

namespace strata::ingest {
namespace {

std::string Quote(std::string_view s) {
  if (s.size() > 64) return absl::StrCat("\"", Sv(s.substr(0, 64)), "...\"");
  return absl::StrCat("\"", Sv(s), "\"");
}

// Splits off the next whitespace-separated token of *rest.
std::string_view NextToken(std::string_view* rest) {
  *rest = TrimSpace(*rest);
  size_t i = 0;
  while (i < rest->size() && (*rest)[i] != ' ' && (*rest)[i] != '\t') ++i;
  std::string_view tok = rest->substr(0, i);
  rest->remove_prefix(i);
  return tok;
}

}  // namespace

absl::Status ParseGraphite(std::string_view body, const GraphiteOptions& opts, RowSink& sink,
                           ParseResult* result) {
  LineReader lines(body);
  ScratchStrings scratch;
  std::vector<LabelView> labels;
  std::string_view line;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    scratch.Reset();
    labels.clear();
    std::string_view rest = line;
    std::string_view path = NextToken(&rest);
    std::string_view value = NextToken(&rest);
    std::string_view ts = NextToken(&rest);
    auto fail = [&](std::string why) { result->AddError(lines.line_number(), std::move(why)); };
    if (!TrimSpace(rest).empty()) {
      fail(absl::StrCat("unexpected text after the timestamp: ", Quote(TrimSpace(rest))));
      continue;
    }
    if (value.empty()) {
      fail(absl::StrCat("metric ", Quote(path), ": missing value"));
      continue;
    }
    size_t semi = path.find(';');
    std::string_view name = path.substr(0, semi);
    if (name.empty()) {
      fail("empty metric name");
      continue;
    }
    labels.push_back({"__name__", opts.prom_compatible_names ? PromMetricName(name, scratch) : name});
    bool ok = true;
    std::string_view tags = semi == std::string_view::npos ? "" : path.substr(semi + 1);
    while (ok && semi != std::string_view::npos) {
      semi = tags.find(';');
      std::string_view tag = tags.substr(0, semi);
      if (semi != std::string_view::npos) tags.remove_prefix(semi + 1);
      if (!AppendTagLabel(tag, opts.prom_compatible_names, scratch, &labels)) {
        fail(absl::StrCat("metric ", Quote(name), ": tag ", Quote(tag), " is not name=value"));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    Sample s{opts.now_ms, 0};
    if (!ParseFloatText(value, &s.v)) {
      fail(absl::StrCat("metric ", Quote(name), ": cannot parse value ", Quote(value)));
      continue;
    }
    if (!ts.empty()) {
      double secs = 0;
      if (!ParseFloatText(ts, &secs) || (secs != -1 && !FloatToMillis(secs, 1000, &s.t))) {
        fail(absl::StrCat("metric ", Quote(name), ": cannot parse timestamp ", Quote(ts)));
        continue;
      }
    }
    sink.OnRow(RowView{labels, std::span<const Sample>(&s, 1)});
    ++result->rows;
    ++result->samples;
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
