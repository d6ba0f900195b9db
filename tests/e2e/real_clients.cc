#include "tests/e2e/real_clients.h"

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/http/http_client.h"
#include "libs/http/url.h"

namespace strata::testing {

NodeExporter::NodeExporter()
    : port(FreePort()),
      proc(kNodeExporterBin, {"--web.listen-address=127.0.0.1:" + std::to_string(port)}, port, "/metrics") {}

namespace {

std::string RenderLabels(const rapidjson::Value& metric) {
  std::map<std::string, std::string> sorted;
  for (auto it = metric.MemberBegin(); it != metric.MemberEnd(); ++it) {
    sorted[it->name.GetString()] = it->value.GetString();
  }
  std::string out = "{";
  for (const auto& [k, v] : sorted) {
    if (out.size() > 1) out += ", ";
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

// [1700000000.123, "42"] -> {1700000000123, "42"}.
ApiSample ParsePair(const rapidjson::Value& pair) {
  // Round to the millisecond: the API writes seconds with up to 3 decimals.
  const double t = pair[0].GetDouble();
  return ApiSample{static_cast<int64_t>(t * 1000 + (t >= 0 ? 0.5 : -0.5)), pair[1].GetString()};
}

}  // namespace

absl::StatusOr<ApiSeries> QueryApi(int port, const std::string& query, double time_s) {
  http::HttpClient client("127.0.0.1", port);
  std::string target = "/api/v1/query?query=" + http::UrlEncode(query);
  if (time_s > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", time_s);
    target += std::string("&time=") + buf;
  }
  auto r = client.Get(target);
  if (!r.ok()) return r.status();
  if (r->status != 200) return absl::InternalError(absl::StrCat("HTTP ", r->status, ": ", r->body));
  rapidjson::Document doc;
  doc.Parse(r->body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return absl::DataLossError("bad JSON: " + r->body);
  if (!doc.HasMember("status") || std::string(doc["status"].GetString()) != "success") {
    return absl::InternalError("not success: " + r->body);
  }
  const auto& data = doc["data"];
  const std::string type = data["resultType"].GetString();
  ApiSeries out;
  for (const auto& s : data["result"].GetArray()) {
    auto& samples = out[RenderLabels(s["metric"])];
    if (type == "vector") {
      samples.push_back(ParsePair(s["value"]));
    } else if (type == "matrix") {
      for (const auto& p : s["values"].GetArray()) samples.push_back(ParsePair(p));
    } else {
      return absl::InvalidArgumentError("unexpected resultType " + type);
    }
  }
  return out;
}

absl::StatusOr<ApiSeries> WaitForSeries(int port, const std::string& query, size_t min_series, double timeout_s) {
  absl::StatusOr<ApiSeries> last = absl::DeadlineExceededError("not queried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    last = QueryApi(port, query);
    if (last.ok() && last->size() >= min_series) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return last;
}

std::vector<std::string> LabelNamesOf(const std::string& key) {
  // Keys come from RenderLabels: name="value" pairs; values are not escaped, so
  // scan for `, name="` boundaries after the opening brace.
  std::vector<std::string> names;
  size_t pos = 1;
  while (pos < key.size()) {
    size_t eq = key.find("=\"", pos);
    if (eq == std::string::npos) break;
    names.push_back(key.substr(pos, eq - pos));
    size_t next = key.find("\", ", eq + 2);
    // A value containing `", ` would confuse this; labels in these tests do not.
    if (next == std::string::npos) break;
    pos = next + 3;
  }
  return names;
}

}  // namespace strata::testing
