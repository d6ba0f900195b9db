#include "libs/ingest/json_lines.h"

#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "absl/strings/str_cat.h"
#include "libs/ingest/json_member.h"
#include "libs/ingest/line_reader.h"
#include "libs/ingest/text_number.h"

namespace strata::ingest {
namespace {

using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using Doc = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

constexpr size_t kPoolBytes = 64 << 10;

class JsonLineParser {
 public:
  JsonLineParser() : buffer_(kPoolBytes), stack_buffer_(kPoolBytes) {}

  // Parses one line; "" or why it is bad. On success labels_/samples_ hold the row.
  std::string Parse(std::string_view line) {
    labels_.clear();
    samples_.clear();
    // In-situ parsing: strings are decoded inside this copy of the line, so they need
    // no allocation; the pools reuse fixed buffers for small lines.
    if (line.find('\0') != std::string_view::npos) return "NUL byte in line";
    copy_.assign(line);
    Pool pool(buffer_.data(), buffer_.size());
    Pool stack_pool(stack_buffer_.data(), stack_buffer_.size());
    Doc doc(&pool, 1024, &stack_pool);
    doc.ParseInsitu<rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag>(
        copy_.data());
    if (doc.HasParseError()) {
      return absl::StrCat("malformed JSON at column ", doc.GetErrorOffset() + 1, ": ",
                          rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (!doc.IsObject()) return "want a JSON object";
    const rapidjson::Value* metric = FindJsonMember(doc, "metric");
    if (metric == nullptr || !metric->IsObject()) return "missing \"metric\" object";
    for (rapidjson::SizeType i = 0; i < metric->MemberCount(); ++i) {
      const auto& m = JsonMemberAt(*metric, i);
      if (!IsQuotedString(m.value)) {
        return absl::StrCat("label \"", std::string(JsonString(m.name)),
                            "\" must have a string value");
      }
      labels_.push_back({JsonString(m.name), JsonString(m.value)});
    }
    const rapidjson::Value* values = FindJsonMember(doc, "values");
    const rapidjson::Value* timestamps = FindJsonMember(doc, "timestamps");
    if (values == nullptr || !values->IsArray()) return "missing \"values\" array";
    if (timestamps == nullptr || !timestamps->IsArray()) return "missing \"timestamps\" array";
    const auto& vs = *values;
    const auto& ts = *timestamps;
    if (vs.Size() != ts.Size()) {
      return absl::StrCat("\"values\" has ", vs.Size(), " elements but \"timestamps\" has ",
                          ts.Size());
    }
    if (vs.Empty()) return "no samples";
    for (rapidjson::SizeType i = 0; i < vs.Size(); ++i) {
      Sample s;
      // Numbers arrive as their text (kParseNumbersAsStringsFlag) and are converted
      // here with a correctly rounded parser: RapidJSON 1.1.0's own conversion is
      // either inexact (default) or wrong for inputs such as 0e61 (full precision).
      double d = 0;
      if (!vs[i].IsString() || !ParseFloatText(JsonString(vs[i]), &s.v)) {
        return absl::StrCat("values[", i, "] is not a number");
      }
      if (std::isnan(s.v)) s.v = std::bit_cast<double>(kNormalNaNBits);
      if (!ts[i].IsString() ||
          !(ParseInt64Text(JsonString(ts[i]), &s.t) ||
            (ParseFloatText(JsonString(ts[i]), &d) && FloatToMillis(d, 1, &s.t) && static_cast<double>(s.t) == d))) {
        return absl::StrCat("timestamps[", i, "] is not an integer number of milliseconds");
      }
      samples_.push_back(s);
    }
    return "";
  }

  // With kParseNumbersAsStringsFlag a number is a string value too. In-situ, a real
  // JSON string is decoded right after its opening quote, a number's text is not.
  bool IsQuotedString(const rapidjson::Value& v) const {
    return v.IsString() && v.GetString() > copy_.data() && v.GetString()[-1] == '"';
  }

  const std::vector<LabelView>& labels() const { return labels_; }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  std::string copy_;
  std::vector<char> buffer_;
  std::vector<char> stack_buffer_;
  std::vector<LabelView> labels_;
  std::vector<Sample> samples_;
};

}  // namespace

absl::Status ParseJsonLines(std::string_view body, const JsonLinesOptions& opts, RowSink& sink,
                            ParseResult* result) {
  JsonLineParser parser;
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    if (line.size() > opts.max_line_bytes) {
      result->AddError(lines.line_number(),
                       absl::StrCat("line longer than ", opts.max_line_bytes, " bytes"));
      continue;
    }
    std::string err = parser.Parse(line);
    if (!err.empty()) {
      result->AddError(lines.line_number(), std::move(err));
      continue;
    }
    sink.OnRow(RowView{parser.labels(), parser.samples()});
    ++result->rows;
    result->samples += parser.samples().size();
  }
  return absl::OkStatus();
}

}  // namespace strata::ingest
