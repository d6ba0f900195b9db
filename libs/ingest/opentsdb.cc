#include "libs/ingest/opentsdb.h"

#include <cmath>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/ingest/json_member.h"
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

// OpenTSDB's rule: 13-digit (>= 1e10) timestamps are milliseconds, else seconds.
bool TsdbMillis(double ts, int64_t* out) {
  if (!std::isfinite(ts)) return false;
  if (std::abs(ts) >= 1e10) return FloatToMillis(ts, 1, out);
  return FloatToMillis(ts, 1000, out);
}

std::string_view NextToken(std::string_view* rest) {
  *rest = TrimSpace(*rest);
  size_t i = 0;
  while (i < rest->size() && (*rest)[i] != ' ' && (*rest)[i] != '\t') ++i;
  std::string_view tok = rest->substr(0, i);
  rest->remove_prefix(i);
  return tok;
}

// Parses one HTTP data point object into labels/sample; "" or why it is bad.
std::string ParsePoint(const rapidjson::Value& p, const OpenTsdbOptions& opts,
                       ScratchStrings& scratch, std::vector<LabelView>* labels, Sample* s) {
  if (!p.IsObject()) return "not an object";
  const rapidjson::Value* metric = FindJsonMember(p, "metric");
  if (metric == nullptr || !metric->IsString() || metric->GetStringLength() == 0) {
    return "\"metric\" must be a non-empty string";
  }
  std::string_view name = JsonString(*metric);
  labels->push_back({"__name__", opts.prom_compatible_names ? PromMetricName(name, scratch) : name});
  const rapidjson::Value* value = FindJsonMember(p, "value");
  if (value == nullptr) return absl::StrCat("metric ", Quote(name), ": missing \"value\"");
  if (value->IsNumber()) {
    s->v = value->GetDouble();
  } else if (!value->IsString() || !ParseFloatText(JsonString(*value), &s->v)) {
    return absl::StrCat("metric ", Quote(name), ": \"value\" must be a number");
  }
  s->t = opts.now_ms;
  if (const rapidjson::Value* ts = FindJsonMember(p, "timestamp"); ts != nullptr) {
    double t = 0;
    if (ts->IsInt64()) {
      t = static_cast<double>(ts->GetInt64());
    } else if (ts->IsNumber()) {
      t = ts->GetDouble();
    } else if (!ts->IsString() || !ParseFloatText(JsonString(*ts), &t)) {
      return absl::StrCat("metric ", Quote(name), ": \"timestamp\" must be a number");
    }
    if (t != 0 && !TsdbMillis(t, &s->t)) {
      return absl::StrCat("metric ", Quote(name), ": \"timestamp\" out of range");
    }
  }
  const rapidjson::Value* tags = FindJsonMember(p, "tags");
  if (tags != nullptr && !tags->IsNull()) {
    if (!tags->IsObject()) {
      return absl::StrCat("metric ", Quote(name), ": \"tags\" must be an object");
    }
    for (rapidjson::SizeType i = 0; i < tags->MemberCount(); ++i) {
      const auto& m = JsonMemberAt(*tags, i);
      std::string_view tname = JsonString(m.name);
      if (!m.value.IsString()) {
        return absl::StrCat("metric ", Quote(name), ": tag ", Quote(tname), " must be a string");
      }
      labels->push_back({opts.prom_compatible_names ? PromLabelName(tname, scratch) : tname,
                         JsonString(m.value)});
    }
  }
  return "";
}

}  // namespace

absl::Status ParseOpenTsdbHttp(std::string_view body, const OpenTsdbOptions& opts,
                               RowSink& sink, ParseResult* result) {
  rapidjson::Document doc;
  // Iterative parsing: deeply nested input cannot exhaust the stack.
  doc.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag>(body.data(),
                                                                             body.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed OpenTSDB JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject() && !doc.IsArray()) {
    return absl::InvalidArgumentError(
        "malformed OpenTSDB JSON: want a data point object or an array of them");
  }
  ScratchStrings scratch;
  std::vector<LabelView> labels;
  auto one = [&](const rapidjson::Value& p, size_t index) {
    scratch.Reset();
    labels.clear();
    Sample s;
    std::string err = ParsePoint(p, opts, scratch, &labels, &s);
    if (!err.empty()) {
      result->AddError(0, doc.IsArray() ? absl::StrCat("data point ", index, ": ", err) : err);
      return;
    }
    sink.OnRow(RowView{labels, std::span<const Sample>(&s, 1)});
    ++result->rows;
    ++result->samples;
  };
  if (doc.IsObject()) {
    one(doc, 0);
  } else {
    for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) one(doc[i], i);
  }
  return absl::OkStatus();
}

absl::Status ParseOpenTsdbTelnet(std::string_view body, const OpenTsdbOptions& opts,
                                 RowSink& sink, ParseResult* result) {
  LineReader lines(body);
  ScratchStrings scratch;
  std::vector<LabelView> labels;
  std::string_view line;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    scratch.Reset();
    labels.clear();
    auto fail = [&](std::string why) { result->AddError(lines.line_number(), std::move(why)); };
    std::string_view rest = line;
    std::string_view cmd = NextToken(&rest);
    if (cmd != "put") {
      fail(absl::StrCat("unknown command ", Quote(cmd), " (want put)"));
      continue;
    }
    std::string_view name = NextToken(&rest);
    std::string_view ts = NextToken(&rest);
    std::string_view value = NextToken(&rest);
    if (value.empty()) {
      fail("want: put <metric> <timestamp> <value> [<tag>=<value> ...]");
      continue;
    }
    labels.push_back({"__name__", opts.prom_compatible_names ? PromMetricName(name, scratch) : name});
    Sample s;
    double t = 0;
    if (!ParseFloatText(ts, &t) || !TsdbMillis(t, &s.t)) {
      fail(absl::StrCat("metric ", Quote(name), ": cannot parse timestamp ", Quote(ts)));
      continue;
    }
    if (!ParseFloatText(value, &s.v)) {
      fail(absl::StrCat("metric ", Quote(name), ": cannot parse value ", Quote(value)));
      continue;
    }
    bool ok = true;
    for (std::string_view tag = NextToken(&rest); !tag.empty(); tag = NextToken(&rest)) {
      if (!AppendTagLabel(tag, opts.prom_compatible_names, scratch, &labels)) {
        fail(absl::StrCat("metric ", Quote(name), ": tag ", Quote(tag), " is not name=value"));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    sink.OnRow(RowView{labels, std::span<const Sample>(&s, 1)});
    ++result->rows;
    ++result->samples;
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
