#include "services/select/prom_json.h"

#include <charconv>
#include <cstdio>

#include "libs/promql/functions/format.h"

namespace strata {
namespace {

// Length of a valid UTF-8 sequence at s[i], 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t r = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    r = (r << 6) | (cc & 0x3F);
  }
  if ((n == 2 && r < 0x80) || (n == 3 && r < 0x800) || (n == 4 && r < 0x10000) || r > 0x10FFFF ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '<': case '>': case '&':
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
          break;
        default:
          if (c < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xF]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t n = Utf8Len(s, i);
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    std::string_view rune = s.substr(i, n);
    if (rune == "\xE2\x80\xA8") {
      out->append("\\u2028");
    } else if (rune == "\xE2\x80\xA9") {
      out->append("\\u2029");
    } else {
      out->append(rune);
    }
    i += n;
  }
  out->push_back('"');
}

void AppendLabelsJson(std::string* out, const Labels& labels) {
  out->push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out->push_back(':');
    AppendJsonString(out, l.value);
  }
  out->push_back('}');
}

void AppendTimestamp(std::string* out, int64_t t) {
  if (t < 0) {
    out->push_back('-');
    t = -t;
  }
  out->append(std::to_string(t / 1000));
  int64_t frac = t % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
    out->append(buf);
  }
}

void AppendPoint(std::string* out, int64_t t, double v) {
  out->push_back('[');
  AppendTimestamp(out, t);
  out->append(",\"");
  out->append(promql::fn::FormatFloatJson(v));
  out->append("\"]");
}

namespace {

// Scalars and strings are marshalled by Go's encoding/json as float64(t)/1000:
// the shortest decimal that round-trips, no trailing zeros (1435781451.78, not
// the .780 that vectors and matrices print).
void AppendFloatSeconds(std::string* out, int64_t t) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(t) / 1000.0, std::chars_format::fixed);
  out->append(buf, r.ptr);
}

}  // namespace

void AppendResultData(std::string* out, const promql::Result& r) {
  using promql::ValueType;
  switch (r.type) {
    case ValueType::kVector: {
      out->append(R"({"resultType":"vector","result":[)");
      for (size_t i = 0; i < r.vector.size(); ++i) {
        if (i) out->push_back(',');
        out->append(R"({"metric":)");
        AppendLabelsJson(out, r.vector[i].metric);
        out->append(R"(,"value":)");
        AppendPoint(out, r.vector[i].t, r.vector[i].v);
        out->push_back('}');
      }
      out->append("]}");
      break;
    }
    case ValueType::kMatrix: {
      out->append(R"({"resultType":"matrix","result":[)");
      for (size_t i = 0; i < r.matrix.size(); ++i) {
        if (i) out->push_back(',');
        out->append(R"({"metric":)");
        AppendLabelsJson(out, r.matrix[i].metric);
        out->append(R"(,"values":[)");
        const auto& pts = r.matrix[i].points;
        for (size_t k = 0; k < pts.size(); ++k) {
          if (k) out->push_back(',');
          AppendPoint(out, pts[k].t, pts[k].v);
        }
        out->append("]}");
      }
      out->append("]}");
      break;
    }
    case ValueType::kScalar:
      out->append(R"({"resultType":"scalar","result":[)");
      AppendFloatSeconds(out, r.scalar.t);
      out->append(",\"");
      out->append(promql::fn::FormatFloatJson(r.scalar.v));
      out->append("\"]}");
      break;
    case ValueType::kString:
      out->append(R"({"resultType":"string","result":[)");
      AppendFloatSeconds(out, r.string.t);
      out->push_back(',');
      AppendJsonString(out, r.string.v);
      out->append("]}");
      break;
    default:
      out->append(R"({"resultType":"vector","result":[]})");
  }
}

std::string SuccessJson(std::string_view data, const std::vector<std::string>& warnings, bool partial) {
  std::string out = R"({"status":"success")";
  if (partial) out.append(R"(,"isPartial":true)");
  out.append(R"(,"data":)");
  out.append(data);
  if (!warnings.empty()) {
    out.append(R"(,"warnings":[)");
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(&out, warnings[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string ErrorJson(std::string_view type, std::string_view message) {
  std::string out = R"({"status":"error","errorType":)";
  AppendJsonString(&out, type);
  out.append(R"(,"error":)");
  AppendJsonString(&out, message);
  out.push_back('}');
  return out;
}

}  // namespace strata
