#include "services/select/select_api.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/common/status_util.h"
#include "libs/model/string_escape.h"
#include "libs/promql/functions/format.h"
#include "libs/promql/parser/parser.h"
#include "services/select/api_params.h"
#include "services/select/prom_json.h"

namespace strata {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Fail(http::HttpResponse& resp, std::string_view type, int code, std::string_view msg) {
  resp.SetJson(ErrorJson(type, msg), code);
}

void BadData(http::HttpResponse& resp, std::string_view msg) { Fail(resp, "bad_data", 400, msg); }

// Engine/storage status -> Prometheus errorType and HTTP code.
void FailStatus(http::HttpResponse& resp, const absl::Status& s) {
  std::string msg(s.message());
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument: return Fail(resp, "bad_data", 400, msg);
    case absl::StatusCode::kDeadlineExceeded: return Fail(resp, "timeout", 503, msg);
    case absl::StatusCode::kCancelled: return Fail(resp, "canceled", 503, msg);
    case absl::StatusCode::kUnavailable: return Fail(resp, "unavailable", 503, msg);
    default: return Fail(resp, "execution", 422, msg);
  }
}

// Parses an optional time parameter; `def` when absent.
bool TimeParam(const http::HttpRequest& req, http::HttpResponse& resp, std::string_view name, int64_t def,
               int64_t* out) {
  auto v = req.FindParam(name);
  if (!v.has_value() || v->empty()) {
    *out = def;
    return true;
  }
  absl::StatusOr<int64_t> t = ParseApiTime(*v);
  if (!t.ok()) {
    BadData(resp, absl::StrCat("invalid parameter \"", Sv(name), "\": ", t.status().message()));
    return false;
  }
  *out = *t;
  return true;
}

// All match[] selectors, or an error answered.
bool MatchParams(const http::HttpRequest& req, http::HttpResponse& resp, std::vector<Matchers>* out) {
  for (const std::string& m : req.Params("match[]")) {
    absl::StatusOr<Matchers> ms = ParseSeriesSelector(m);
    if (!ms.ok()) {
      BadData(resp, std::string(ms.status().message()));
      return false;
    }
    out->push_back(*std::move(ms));
  }
  return true;
}

}  // namespace

SelectApi::SelectApi(StorageNodes* nodes, SelectApiOptions opts, MetricsRegistry* registry)
    : nodes_(nodes),
      opts_(opts),
      engine_(promql::EngineOptions{.lookback_delta_ms = opts.lookback_delta_ms,
                                    .max_samples = static_cast<int64_t>(opts.max_samples_per_query),
                                    .timeout = absl::Milliseconds(opts.max_query_duration_ms)}),
      queries_(registry->AddCounterFamily("strata_select_queries_total", "API requests by endpoint and outcome.",
                                          {"endpoint", "status"})),
      latency_(registry->AddHistogramFamily("strata_select_query_duration_seconds", "API latency by endpoint.",
                                            {"endpoint"}, LatencyBuckets())),
      running_gauge_(registry->AddGauge("strata_select_queries_running", "Queries being evaluated now.")) {}

bool SelectApi::Acquire() {
  std::unique_lock<std::mutex> l(slots_mu_);
  if (!slots_cv_.wait_for(l, std::chrono::milliseconds(opts_.max_queue_ms),
                          [this] { return running_ < opts_.max_concurrent; })) {
    return false;
  }
  ++running_;
  running_gauge_.Set(double(running_));
  return true;
}

void SelectApi::Release() {
  std::lock_guard<std::mutex> l(slots_mu_);
  --running_;
  running_gauge_.Set(double(running_));
  slots_cv_.notify_one();
}

FanoutOptions SelectApi::FanoutFor(const http::HttpRequest& req) const {
  FanoutOptions f = opts_.fanout;
  std::string_view deny = req.Param("deny_partial_response");
  if (deny == "1" || deny == "true") f.deny_partial = true;
  return f;
}

void SelectApi::Query(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant, bool range) {
  std::string_view query = req.Param("query");
  if (query.size() > opts_.max_query_len) {
    return BadData(resp, absl::StrCat("the query is ", query.size(), " bytes, above the limit of ",
                                      opts_.max_query_len, " (raise --search-max-query-len)"));
  }
  absl::StatusOr<promql::ExprPtr> expr = promql::ParseExpr(query);
  if (!expr.ok()) return BadData(resp, absl::StrCat("invalid parameter \"query\": ", expr.status().message()));

  int64_t start = 0, end = 0, step = 0;
  const int64_t now = NowMs();
  if (range) {
    if (!req.FindParam("start")) return BadData(resp, "invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
    if (!req.FindParam("end")) return BadData(resp, "invalid parameter \"end\": cannot parse \"\" to a valid timestamp");
    if (!TimeParam(req, resp, "start", now, &start) || !TimeParam(req, resp, "end", now, &end)) return;
    if (end < start) return BadData(resp, "invalid parameter \"end\": end timestamp must not be before start time");
    absl::StatusOr<int64_t> s = ParseApiDuration(req.Param("step"));
    if (!s.ok()) return BadData(resp, absl::StrCat("invalid parameter \"step\": ", s.status().message()));
    step = *s;
    if (step <= 0) {
      return BadData(resp,
                     "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. "
                     "Try a positive integer");
    }
    if ((end - start) / step > opts_.max_points_per_series) {
      return BadData(resp, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                           "resolution (?step=XX)");
    }
  } else {
    if (!TimeParam(req, resp, "time", now, &start)) return;
    end = start;
  }
  if (auto t = req.FindParam("timeout"); t.has_value() && !t->empty()) {
    absl::StatusOr<int64_t> d = ParseApiDuration(*t);
    if (!d.ok()) return BadData(resp, absl::StrCat("invalid parameter \"timeout\": ", d.status().message()));
  }
  if (!Acquire()) {
    return Fail(resp, "unavailable", 503,
                absl::StrCat("too many concurrent queries: ", opts_.max_concurrent,
                             " are running and this one waited longer than --search-max-queue-duration"));
  }
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<promql::Result> r = engine_.Exec(queryable, **expr, start, end, step, !range);
  Release();
  if (!r.ok()) return FailStatus(resp, r.status());
  FanoutReport report = queryable.report();
  std::vector<std::string> warnings = r->warnings;
  for (const auto& w : report.warnings) {
    if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
  }
  std::string data;
  AppendResultData(&data, *r);
  resp.SetJson(SuccessJson(data, warnings, report.partial));
}

void SelectApi::Series(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  if (selectors.empty()) return BadData(resp, "no match[] parameter provided");
  int64_t start, end;
  if (!TimeParam(req, resp, "start", kApiMinTimeMs, &start) || !TimeParam(req, resp, "end", kApiMaxTimeMs, &end)) return;
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  std::set<strata::Labels> all;
  for (const Matchers& ms : selectors) {
    absl::StatusOr<std::vector<strata::Labels>> got = queryable.SeriesLabels(ms, start, end);
    if (!got.ok()) return FailStatus(resp, got.status());
    all.insert(got->begin(), got->end());
  }
  std::string data = "[";
  bool first = true;
  for (const auto& ls : all) {
    if (!first) data.push_back(',');
    first = false;
    AppendLabelsJson(&data, ls);
  }
  data.push_back(']');
  FanoutReport report = queryable.report();
  resp.SetJson(SuccessJson(data, report.warnings, report.partial));
}

void SelectApi::Labels(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant,
                       const std::string* name) {
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  int64_t start, end;
  if (!TimeParam(req, resp, "start", kApiMinTimeMs, &start) || !TimeParam(req, resp, "end", kApiMaxTimeMs, &end)) return;
  if (name != nullptr && !IsValidLabelName(*name)) {
    return BadData(resp, absl::StrCat("invalid label name: \"", *name, "\""));
  }
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<std::unique_ptr<Querier>> q = queryable.NewQuerier(start, end);
  if (!q.ok()) return FailStatus(resp, q.status());
  if (selectors.empty()) selectors.emplace_back();
  std::set<std::string> all;
  for (const Matchers& ms : selectors) {
    absl::StatusOr<std::vector<std::string>> got =
        name == nullptr ? (*q)->LabelNames(ms) : (*q)->LabelValues(*name, ms);
    if (!got.ok()) return FailStatus(resp, got.status());
    all.insert(got->begin(), got->end());
  }
  size_t limit = 0;
  if (auto l = req.FindParam("limit"); l.has_value() && !l->empty()) limit = std::strtoull(std::string(*l).c_str(), nullptr, 10);
  std::string data = "[";
  size_t n = 0;
  for (const auto& v : all) {
    if (limit > 0 && n >= limit) break;
    if (n++) data.push_back(',');
    AppendJsonString(&data, v);
  }
  data.push_back(']');
  FanoutReport report = queryable.report();
  resp.SetJson(SuccessJson(data, report.warnings, report.partial));
}

void SelectApi::Export(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  if (selectors.empty()) return BadData(resp, "missing `match[]` arg");
  int64_t start, end;
  if (!TimeParam(req, resp, "start", kApiMinTimeMs, &start) || !TimeParam(req, resp, "end", NowMs(), &end)) return;
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<std::unique_ptr<Querier>> q = queryable.NewQuerier(start, end);
  if (!q.ok()) return FailStatus(resp, q.status());
  std::string out;
  std::set<strata::Labels> seen;
  for (const Matchers& ms : selectors) {
    SelectHints hints{.start = start, .end = end};
    std::unique_ptr<SeriesSet> set = (*q)->Select(true, &hints, ms);
    while (set->Next()) {
      const strata::Series& s = set->At();
      if (!seen.insert(s.labels()).second) continue;
      std::string values, timestamps;
      auto it = s.Iterator();
      bool first = true;
      while (it->Next()) {
        Sample smp = it->At();
        // Stale markers are not exported (as VictoriaMetrics does); NaN and
        // infinities as the JSON-lines import reads them.
        if (IsStaleNaN(smp.v)) continue;
        if (!first) {
          values.push_back(',');
          timestamps.push_back(',');
        }
        first = false;
        double v = smp.v;
        if (std::isnan(v)) {
          values.append("\"NaN\"");
        } else if (std::isinf(v)) {
          values.append(v > 0 ? "\"Inf\"" : "\"-Inf\"");
        } else {
          values.append(promql::fn::FormatFloatG(v));
        }
        timestamps.append(std::to_string(smp.t));
      }
      out.append(R"({"metric":)");
      AppendLabelsJson(&out, s.labels());
      absl::StrAppend(&out, R"(,"values":[)", values, R"(],"timestamps":[)", timestamps, "]}\n");
    }
    if (!set->status().ok()) return FailStatus(resp, set->status());
  }
  resp.status = 200;
  resp.content_type = "application/stream+json";
  resp.body = std::move(out);
}

void SelectApi::Federate(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  const int64_t now = NowMs();
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<std::unique_ptr<Querier>> q = queryable.NewQuerier(now - opts_.lookback_delta_ms, now);
  if (!q.ok()) return FailStatus(resp, q.status());
  std::map<std::string, std::vector<std::pair<strata::Labels, Sample>>> by_name;
  std::set<strata::Labels> seen;
  for (const Matchers& ms : selectors) {
    std::unique_ptr<SeriesSet> set = (*q)->Select(true, nullptr, ms);
    while (set->Next()) {
      const strata::Series& s = set->At();
      if (!seen.insert(s.labels()).second) continue;
      auto it = s.Iterator();
      std::optional<Sample> last;
      while (it->Next()) last = it->At();
      if (!last || IsStaleNaN(last->v)) continue;
      by_name[std::string(s.labels().MetricName())].emplace_back(s.labels(), *last);
    }
    if (!set->status().ok()) return FailStatus(resp, set->status());
  }
  std::string out;
  for (auto& [name, series] : by_name) {
    absl::StrAppend(&out, "# TYPE ", name, " untyped\n");
    for (auto& [labels, smp] : series) {
      out.append(name);
      bool first = true;
      for (const Label& l : labels) {
        if (l.name == kMetricName) continue;
        out.append(first ? "{" : ",");
        first = false;
        absl::StrAppend(&out, l.name, "=", GoQuote(l.value));
      }
      if (!first) out.push_back('}');
      absl::StrAppend(&out, " ", promql::fn::FormatFloatG(smp.v), " ", smp.t, "\n");
    }
  }
  resp.status = 200;
  resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp.body = std::move(out);
}

void SelectApi::DeleteSeries(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  if (req.method != "POST" && req.method != "PUT") {
    return Fail(resp, "bad_data", 405, "delete_series needs POST");
  }
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  if (selectors.empty()) return BadData(resp, "no match[] parameter provided");
  ClusterQueryable queryable(nodes_, tenant, opts_.fanout);
  for (const Matchers& ms : selectors) {
    absl::StatusOr<uint64_t> n = queryable.DeleteSeries(ms);
    if (!n.ok()) return FailStatus(resp, n.status());
  }
  resp.status = 204;
  resp.body.clear();
}

void SelectApi::Route(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant, std::string_view path) {
  auto start = std::chrono::steady_clock::now();
  std::string endpoint(path);
  if (path == "api/v1/query") {
    Query(req, resp, tenant, false);
  } else if (path == "api/v1/query_range") {
    Query(req, resp, tenant, true);
  } else if (path == "api/v1/series") {
    Series(req, resp, tenant);
  } else if (path == "api/v1/labels") {
    Labels(req, resp, tenant, nullptr);
  } else if (path.substr(0, 13) == "api/v1/label/" && path.size() > 20 &&
             path.substr(path.size() - 7) == "/values") {
    std::string name(path.substr(13, path.size() - 20));
    endpoint = "api/v1/label/values";
    Labels(req, resp, tenant, &name);
  } else if (path == "api/v1/metadata") {
    resp.SetJson(SuccessJson("{}"));
  } else if (path == "api/v1/status/buildinfo") {
    resp.SetJson(SuccessJson(
        R"({"version":"2.42.0","revision":"strata-0.1.0","branch":"main","buildUser":"strata","buildDate":"20261125-00:00:00","goVersion":"go1.19"})"));
  } else if (path == "api/v1/query_exemplars") {
    resp.SetJson(SuccessJson("[]"));
  } else if (path == "api/v1/rules") {
    resp.SetJson(SuccessJson(R"({"groups":[]})"));
  } else if (path == "api/v1/alerts") {
    resp.SetJson(SuccessJson(R"({"alerts":[]})"));
  } else if (path == "api/v1/export") {
    Export(req, resp, tenant);
  } else if (path == "federate") {
    Federate(req, resp, tenant);
  } else if (path == "api/v1/admin/tsdb/delete_series") {
    DeleteSeries(req, resp, tenant);
  } else {
    endpoint = "unknown";
    resp.SetJson(ErrorJson("bad_data", absl::StrCat("unknown API path /", Sv(path))), 404);
  }
  latency_.WithLabels({endpoint}).Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  queries_.WithLabels({endpoint, resp.status < 400 ? "success" : std::to_string(resp.status)}).Inc();
}

void SelectApi::Register(http::HttpServer* server) {
  server->HandlePrefix("/select/", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    std::string_view rest = req.path_remainder;
    size_t slash = rest.find('/');
    absl::StatusOr<Tenant> tenant = ParseTenant(rest.substr(0, slash));
    if (!tenant.ok()) return BadData(resp, std::string(tenant.status().message()));
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (path.substr(0, 11) != "prometheus/") {
      return resp.SetJson(ErrorJson("bad_data", absl::StrCat("unknown path ", req.path)), 404);
    }
    Route(req, resp, *tenant, path.substr(11));
  });
  server->HandlePrefix("/api/v1/", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    Route(req, resp, Tenant{}, std::string_view(req.path).substr(1));
  });
  server->Handle("/federate", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    Route(req, resp, Tenant{}, "federate");
  });
}

}  // namespace strata
