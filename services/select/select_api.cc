#include "services/select/select_api.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/common/status_util.h"
#include "libs/ingest/remote_write.h"
#include "libs/ingest/remote_write_encoder.h"
#include "libs/model/string_escape.h"
#include "libs/promql/functions/format.h"
#include "libs/promql/parser/parser.h"
#include "services/select/api_params.h"
#include "services/select/prom_json.h"
#include "services/select/remote_read.h"
#include "services/select/ui_page.h"

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

// Parses an optional time parameter; `def` when absent. Prometheus words the
// error of query_range's start/end (parseTime) without the "Invalid time value"
// clause that every other endpoint's parseTimeParam adds: `go_wrapped` = false.
bool TimeParam(const http::HttpRequest& req, http::HttpResponse& resp, std::string_view name, int64_t def,
               int64_t* out, bool go_wrapped = true) {
  auto v = req.FindParam(name);
  if (!v.has_value() || v->empty()) {
    *out = def;
    return true;
  }
  absl::StatusOr<int64_t> t = ParseApiTime(*v);
  if (!t.ok()) {
    BadData(resp, absl::StrCat("invalid parameter \"", Sv(name), "\": ",
                               go_wrapped ? absl::StrCat("Invalid time value for '", Sv(name), "': ") : "",
                               t.status().message()));
    return false;
  }
  *out = *t;
  return true;
}

// All match[] selectors, or an error answered. Prometheus prefixes the error
// with `invalid parameter "match[]": ` on api/v1/series only (`prefixed`).
bool MatchParams(const http::HttpRequest& req, http::HttpResponse& resp, std::vector<Matchers>* out,
                 bool prefixed = false) {
  const std::string prefix = prefixed ? "invalid parameter \"match[]\": " : "";
  constexpr std::string_view kEmpty = "match[] must contain at least one non-empty matcher";
  for (const std::string& m : req.Params("match[]")) {
    absl::StatusOr<Matchers> ms = ParseSeriesSelector(m);
    if (!ms.ok()) {
      // Prometheus' selector parser accepts {} and {a=~".*"}; its API then refuses
      // them with its own message, which ours must match.
      std::string msg(ms.status().message());
      if (msg.find("at least one non-empty matcher") != std::string::npos) msg = std::string(kEmpty);
      BadData(resp, absl::StrCat(prefix, msg));
      return false;
    }
    bool non_empty = false;
    for (const Matcher& x : *ms) non_empty = non_empty || !x.MatchesEmpty();
    if (!non_empty) {
      BadData(resp, absl::StrCat(prefix, Sv(kEmpty)));
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
      errors_(registry->AddCounterFamily("strata_select_query_errors_total",
                                         "Failed API requests by endpoint and Prometheus errorType "
                                         "(bad_data, execution, timeout, canceled, unavailable, internal).",
                                         {"endpoint", "type"})),
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
    if (!TimeParam(req, resp, "start", now, &start, false) || !TimeParam(req, resp, "end", now, &end, false)) return;
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
  // A request's timeout can only lower --search-max-query-duration, as Prometheus'
  // can only lower its --query.timeout.
  promql::QueryOptions qo;
  if (auto t = req.FindParam("timeout"); t.has_value() && !t->empty()) {
    absl::StatusOr<int64_t> d = ParseApiDuration(*t);
    if (!d.ok()) return BadData(resp, absl::StrCat("invalid parameter \"timeout\": ", d.status().message()));
    qo.timeout = absl::Milliseconds(*d);
  }
  const bool request_limit = qo.timeout > absl::ZeroDuration() &&
                             (opts_.max_query_duration_ms <= 0 || qo.timeout < absl::Milliseconds(opts_.max_query_duration_ms));
  if (!Acquire()) {
    return Fail(resp, "unavailable", 503,
                absl::StrCat("too many concurrent queries: ", opts_.max_concurrent,
                             " are running and this one waited longer than --search-max-queue-duration (raise "
                             "--search-max-concurrent-requests or --search-max-queue-duration)"));
  }
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<promql::Result> r = engine_.Exec(queryable, **expr, start, end, step, !range, qo);
  Release();
  if (r.status().code() == absl::StatusCode::kDeadlineExceeded) {
    return FailStatus(resp, absl::DeadlineExceededError(absl::StrCat(
                                r.status().message(),
                                request_limit ? " (the request's timeout parameter)"
                                              : absl::StrCat(" (took longer than --search-max-query-duration=",
                                                             opts_.max_query_duration_ms, "ms; raise it)"))));
  }
  if (r.status().code() == absl::StatusCode::kResourceExhausted &&
      absl::StartsWith(r.status().message(), "query processing would load too many samples")) {
    return FailStatus(resp, absl::ResourceExhaustedError(absl::StrCat(
                                r.status().message(), " (more than --search-max-samples-per-query=",
                                opts_.max_samples_per_query, "; raise it)")));
  }
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
  if (req.Params("match[]").empty()) return BadData(resp, "no match[] parameter provided");
  // Prometheus' order of checks: times, then selectors.
  int64_t start, end;
  if (!TimeParam(req, resp, "start", kApiMinTimeMs, &start) || !TimeParam(req, resp, "end", kApiMaxTimeMs, &end)) return;
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors, /*prefixed=*/true)) return;
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
  // Prometheus' order of checks: label name, times, then selectors.
  if (name != nullptr && !IsValidLabelName(*name)) {
    return BadData(resp, absl::StrCat("invalid label name: \"", *name, "\""));
  }
  int64_t start, end;
  if (!TimeParam(req, resp, "start", kApiMinTimeMs, &start) || !TimeParam(req, resp, "end", kApiMaxTimeMs, &end)) return;
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
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
      // Samples are decoded as they are read: a block that does not decode fails
      // the export rather than cutting the series short.
      if (!it->status().ok()) return FailStatus(resp, it->status());
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
      if (!it->status().ok()) return FailStatus(resp, it->status());
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

namespace {

// The query page (services/select/ui/index.html, embedded at build time).
void ServePage(http::HttpResponse& resp) {
  resp.status = 200;
  resp.content_type = "text/html; charset=utf-8";
  resp.body = std::string(kQueryPageHtml);
}

}  // namespace

void SelectApi::TsdbStatus(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  std::vector<Matchers> selectors;
  if (!MatchParams(req, resp, &selectors)) return;
  if (selectors.size() > 1) return BadData(resp, "at most one match[] parameter is accepted");
  size_t top = 10;
  for (std::string_view p : {"topN", "limit"}) {
    auto v = req.FindParam(p);
    if (!v.has_value() || v->empty()) continue;
    char* end = nullptr;
    std::string text(*v);
    long n = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != 0 || n <= 0) {
      return BadData(resp, absl::StrCat("invalid parameter \"", Sv(p), "\": must be a positive integer"));
    }
    top = static_cast<size_t>(n);
  }
  // `date=YYYY-MM-DD` (as VictoriaMetrics) narrows the count to one UTC day;
  // without it every stored series counts.
  int64_t start = kApiMinTimeMs, end = kApiMaxTimeMs;
  if (auto d = req.FindParam("date"); d.has_value() && !d->empty()) {
    absl::StatusOr<int64_t> t = ParseApiTime(absl::StrCat(Sv(*d), "T00:00:00Z"));
    if (!t.ok()) return BadData(resp, absl::StrCat("invalid parameter \"date\": ", t.status().message()));
    start = *t;
    end = *t + 86'400'000 - 1;
  }
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  absl::StatusOr<ClusterTsdbStatus> st =
      queryable.TsdbStatus(selectors.empty() ? Matchers{} : selectors[0], start, end, top);
  if (!st.ok()) return FailStatus(resp, st.status());
  auto list = [](std::string* out, const ClusterTsdbStatus::NameCounts& l) {
    out->push_back('[');
    for (size_t i = 0; i < l.size(); ++i) {
      if (i) out->push_back(',');
      out->append("{\"name\":");
      AppendJsonString(out, l[i].first);
      absl::StrAppend(out, ",\"value\":", l[i].second, "}");
    }
    out->push_back(']');
  };
  std::string data = absl::StrCat("{\"headStats\":{\"numSeries\":", st->num_series, ",\"numLabelPairs\":",
                                  st->num_label_pairs, ",\"chunkCount\":0,\"minTime\":", st->min_time_ms,
                                  ",\"maxTime\":", st->max_time_ms, "},\"seriesCountByMetricName\":");
  list(&data, st->series_count_by_metric_name);
  data.append(",\"labelValueCountByLabelName\":");
  list(&data, st->label_value_count_by_label_name);
  // Prometheus sums label value bytes per label name from its head; the storage
  // RPC does not report sizes, so the list stays empty (valid for Grafana and the UI).
  data.append(",\"memoryInBytesByLabelName\":[],\"seriesCountByLabelValuePair\":");
  list(&data, st->series_count_by_label_value_pair);
  data.push_back('}');
  FanoutReport report = queryable.report();
  resp.SetJson(SuccessJson(data, report.warnings, report.partial));
}

void SelectApi::RemoteRead(const http::HttpRequest& req, http::HttpResponse& resp, Tenant tenant) {
  // Errors are plain text, as Prometheus' remote read handler writes them.
  if (req.method != "POST") return resp.SetText("remote read needs POST\n", 405);
  absl::StatusOr<std::string> proto = ingest::SnappyDecompress(req.body, 64 << 20);
  if (!proto.ok()) return resp.SetText(absl::StrCat(proto.status().message(), "\n"), 400);
  absl::StatusOr<std::vector<ReadQuery>> queries = DecodeReadRequest(*proto);
  if (!queries.ok()) return resp.SetText(absl::StrCat(queries.status().message(), "\n"), 400);
  if (!Acquire()) {
    return resp.SetText("too many concurrent queries: waited longer than --search-max-queue-duration (raise "
                        "--search-max-concurrent-requests or --search-max-queue-duration)\n",
                        503);
  }
  ClusterQueryable queryable(nodes_, tenant, FanoutFor(req));
  ReadResponseEncoder enc;
  uint64_t samples = 0;
  absl::Status failed;
  for (const ReadQuery& q : *queries) {
    enc.BeginResult();
    absl::StatusOr<std::unique_ptr<Querier>> querier = queryable.NewQuerier(q.start_ms, q.end_ms);
    if (!querier.ok()) {
      failed = querier.status();
      break;
    }
    SelectHints hints{.start = q.start_ms, .end = q.end_ms};
    std::unique_ptr<SeriesSet> set = (*querier)->Select(true, &hints, q.matchers);
    std::vector<Sample> buf;
    while (set->Next()) {
      const strata::Series& series = set->At();
      buf.clear();
      auto it = series.Iterator();
      while (it->Next()) buf.push_back(it->At());
      if (!it->status().ok()) {
        failed = it->status();
        break;
      }
      samples += buf.size();
      if (samples > opts_.max_samples_per_query) {
        failed = absl::ResourceExhaustedError(
            absl::StrCat("remote read selects more than ", opts_.max_samples_per_query,
                         " samples (raise --search-max-samples-per-query)"));
        break;
      }
      enc.AddSeries(series.labels(), buf);
    }
    if (failed.ok()) failed = set->status();
    if (!failed.ok()) break;
  }
  Release();
  if (!failed.ok()) {
    int code = failed.code() == absl::StatusCode::kUnavailable ? 503
               : failed.code() == absl::StatusCode::kInvalidArgument ? 400 : 422;
    return resp.SetText(absl::StrCat(failed.message(), "\n"), code);
  }
  resp.status = 200;
  resp.content_type = "application/x-protobuf";
  resp.SetHeader("Content-Encoding", "snappy");
  resp.body = ingest::SnappyCompress(enc.Finish());
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
  } else if (path == "api/v1/read") {
    RemoteRead(req, resp, tenant);
  } else if (path == "api/v1/status/tsdb") {
    TsdbStatus(req, resp, tenant);
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
  if (resp.status >= 400) {
    // Every error answer is ErrorJson(): take its errorType.
    std::string type = "internal";
    static constexpr std::string_view kKey = "\"errorType\":\"";
    if (size_t at = resp.body.find(kKey); at != std::string::npos) {
      size_t from = at + kKey.size();
      type = resp.body.substr(from, resp.body.find('"', from) - from);
    }
    errors_.WithLabels({endpoint, type}).Inc();
  }
}

void SelectApi::Register(http::HttpServer* server) {
  server->HandlePrefix("/select/", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    std::string_view rest = req.path_remainder;
    size_t slash = rest.find('/');
    absl::StatusOr<Tenant> tenant = ParseTenant(rest.substr(0, slash));
    if (!tenant.ok()) return BadData(resp, std::string(tenant.status().message()));
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (path == "ui" || path == "ui/") return ServePage(resp);
    if (path.substr(0, 11) != "prometheus/") {
      return resp.SetJson(ErrorJson("bad_data", absl::StrCat("unknown path ", req.path)), 404);
    }
    Route(req, resp, *tenant, path.substr(11));
  });
  server->HandlePrefix("/api/v1/", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    Route(req, resp, Tenant{}, std::string_view(req.path).substr(1));
  });
  server->Handle("/", [](const http::HttpRequest&, http::HttpResponse& resp) { ServePage(resp); });
  server->Handle("/federate", [this](const http::HttpRequest& req, http::HttpResponse& resp) {
    Route(req, resp, Tenant{}, "federate");
  });
}

}  // namespace strata
