#include "services/insert/insert_api.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_util.h"
#include "libs/ingest/csv.h"
#include "libs/ingest/influx.h"
#include "libs/ingest/json_lines.h"
#include "libs/ingest/opentsdb.h"
#include "libs/ingest/prom_text.h"
#include "libs/ingest/remote_write.h"
#include "libs/model/string_escape.h"

namespace strata {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Error(http::HttpResponse& resp, int code, const std::string& msg) { resp.SetText(msg + "\n", code); }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

InsertApi::InsertApi(ReplicatingWriter* writer, InsertApiOptions opts, MetricsRegistry* registry)
    : writer_(writer),
      opts_(std::move(opts)),
      registry_(registry),
      series_cache_(opts_.series_cache_bytes),
      rows_ingested_(registry->AddCounterFamily("strata_insert_rows_ingested_total",
                                                "Rows (series x request) stored, by protocol.", {"protocol"})),
      samples_ingested_(registry->AddCounterFamily("strata_insert_samples_ingested_total",
                                                   "Samples stored on enough replicas, by protocol.",
                                                   {"protocol"})),
      rows_rejected_(registry->AddCounterFamily("strata_insert_rows_rejected_total",
                                                "Rows or lines rejected, by reason.", {"reason"})),
      requests_(registry->AddCounterFamily("strata_insert_requests_total", "Ingest requests by protocol and code.",
                                           {"protocol", "code"})),
      cache_hits_(registry->AddCounter("strata_insert_series_cache_hits_total",
                                       "remote_write rows whose labels came from the series cache.")),
      cache_misses_(registry->AddCounter("strata_insert_series_cache_misses_total",
                                         "remote_write rows whose labels were not in the series cache.")),
      inflight_gauge_(registry->AddGauge("strata_insert_inflight_bytes",
                                         "Request bytes being parsed and stored (bounded by --max-inflight-bytes).")) {
  registry->AddCallbackGauge("strata_insert_series_cache_bytes", "Memory the series cache holds (--series-cache-bytes).",
                             [this] { return double(series_cache_.bytes()); });
  registry->AddCallbackGauge("strata_insert_series_cache_entries", "Series in the series cache.",
                             [this] { return double(series_cache_.entries()); });
  registry->AddCallbackCounter("strata_insert_series_cache_bypassed_requests_total",
                               "remote_write requests that skipped the series cache while it missed more than it hit.",
                               [this] { return double(series_cache_.bypassed()); });
}

InsertApi::~InsertApi() {
  registry_->Remove("strata_insert_series_cache_bytes");
  registry_->Remove("strata_insert_series_cache_entries");
  registry_->Remove("strata_insert_series_cache_bypassed_requests_total");
}

// One request from admission to answer. Holds the parsed rows until every storage
// call that carries them has answered, and its share of --max-inflight-bytes until
// it answers.
struct InsertApi::Request {
  Request(InsertApi* api, const char* protocol, Tenant tenant, size_t cost, int ok_status, http::HttpResponder respond)
      : api(api),
        protocol(protocol),
        cost(cost),
        ok_status(ok_status),
        collector(tenant, api->opts_.limits, &api->rows_rejected_, &api->series_cache_),
        respond(std::move(respond)) {}
  ~Request() { Release(); }

  // The request's memory share goes back before the answer: after it, the server
  // may shut down and this InsertApi go away while the storage calls unwind.
  void Release() {
    if (released) return;
    released = true;
    api->inflight_.fetch_sub(cost);
    api->inflight_gauge_.Set(double(api->inflight_.load()));
  }

  void Send(const char* code, http::HttpResponse resp) {
    api->requests_.WithLabels({protocol, code}).Inc();
    Release();
    respond(std::move(resp));
  }

  void Answer(int code, const std::string& msg = "") {
    http::HttpResponse resp;
    if (msg.empty()) {
      resp.status = code;
    } else {
      Error(resp, code, msg);
    }
    Send(std::to_string(code).c_str(), std::move(resp));
  }

  // The rows are stored (or not): the answer of InsertApi's header.
  void Stored(const absl::Status& ws) {
    if (!ws.ok()) {
      int code = HttpStatusFromCode(ws.code());
      return Answer(code == 500 ? 503 : code, std::string(ws.message()));
    }
    if (!collector.rows().empty()) {
      api->rows_ingested_.WithLabels({protocol}).Add(double(collector.rows().size()));
      api->samples_ingested_.WithLabels({protocol}).Add(double(collector.samples()));
    }
    uint64_t rejected = result.rejected_lines + collector.rejected() + result.unsupported_histograms;
    if (rejected == 0) return Answer(ok_status);
    std::string msg = absl::StrCat(collector.rows().size(), " rows stored, ", rejected, " rejected");
    for (const auto& e : result.errors) {
      absl::StrAppend(&msg, "\n", e.line > 0 ? absl::StrCat("line ", e.line, ": ") : "", e.message);
    }
    for (const auto& m : collector.messages()) absl::StrAppend(&msg, "\n", m);
    if (result.unsupported_histograms > 0) {
      absl::StrAppend(&msg, "\n", result.unsupported_histograms, " native histogram series are not supported yet");
    }
    Answer(400, msg);
  }

  InsertApi* api;
  const char* protocol;
  size_t cost;
  int ok_status;
  RowCollector collector;
  ingest::ParseResult result;
  http::HttpResponder respond;
  bool released = false;
};

void InsertApi::Ingest(const char* protocol, Tenant tenant, size_t body_bytes, const ParseFn& parse, int ok_status,
                       http::HttpResponder respond) {
  // Parsed rows take a few times the body's size.
  const size_t cost = body_bytes * 4 + 4096;
  size_t before = inflight_.fetch_add(cost);
  inflight_gauge_.Set(double(before + cost));
  auto req = std::make_shared<Request>(this, protocol, tenant, cost, ok_status, std::move(respond));
  if (before > 0 && before + cost > opts_.max_inflight_bytes) {
    rows_rejected_.WithLabels({"overloaded"}).Inc();
    http::HttpResponse resp;
    resp.SetHeader("Retry-After", "1");
    Error(resp, 429, absl::StrCat("insert is at its memory limit (--max-inflight-bytes=", opts_.max_inflight_bytes,
                                  "); retry later"));
    return req->Send("429", std::move(resp));
  }

  absl::Status st = parse(req->collector, &req->result);
  if (req->collector.cache_hits() > 0) cache_hits_.Add(double(req->collector.cache_hits()));
  if (req->collector.cache_misses() > 0) cache_misses_.Add(double(req->collector.cache_misses()));
  if (!st.ok()) {
    rows_rejected_.WithLabels({"malformed_body"}).Inc();
    int code = st.code() == absl::StatusCode::kResourceExhausted ? 413 : 400;
    return req->Answer(code, absl::StrCat("cannot parse ", protocol, " request: ", st.message()));
  }
  if (req->result.rejected_lines > 0) {
    rows_rejected_.WithLabels({"parse_error"}).Add(double(req->result.rejected_lines));
  }
  if (req->result.unsupported_histograms > 0) {
    rows_rejected_.WithLabels({"native_histogram"}).Add(double(req->result.unsupported_histograms));
  }
  if (req->collector.rows().empty()) return req->Stored(absl::OkStatus());
  // Answered from the thread that completes the last storage call: no handler
  // thread waits, so requests in flight are bounded by --max-inflight-bytes only.
  writer_->WriteAsync(req->collector.rows(), [req](absl::Status ws, const WriteOutcome&) { req->Stored(ws); });
}

void InsertApi::Dispatch(const http::HttpRequest& req, const http::HttpResponder& respond, Tenant tenant,
                         std::string_view path) {
  auto fail = [&](int code, const std::string& msg) {
    http::HttpResponse resp;
    if (code == 405) resp.SetHeader("Allow", "POST");
    Error(resp, code, msg);
    respond(std::move(resp));
  };
  if (req.method != "POST" && req.method != "PUT") return fail(405, absl::StrCat("use POST for ", req.path));
  const std::string& body = req.body;
  const int64_t now = NowMs();
  if (path == "prometheus" || path == "prometheus/api/v1/write" || path == "prometheus/api/v1/push") {
    ingest::RemoteWriteOptions o;
    o.max_decoded_bytes = opts_.max_decoded_bytes;
    return Ingest("remote_write", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParseRemoteWrite(body, o, s, r); },
                  204, respond);
  }
  if (path == "prometheus/api/v1/import") {
    return Ingest("json_lines", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParseJsonLines(body, {}, s, r); },
                  204, respond);
  }
  if (path == "prometheus/api/v1/import/csv") {
    absl::StatusOr<ingest::CsvFormat> format = ingest::CsvFormat::Parse(req.Param("format"));
    if (!format.ok()) return fail(400, absl::StrCat("bad format parameter: ", format.status().message()));
    ingest::CsvOptions o;
    o.now_ms = now;
    return Ingest("csv", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParseCsv(body, *format, o, s, r); },
                  204, respond);
  }
  if (path == "prometheus/api/v1/import/prometheus" || StartsWith(path, "prometheus/api/v1/import/prometheus/metrics/")) {
    ingest::PromTextOptions o;
    o.now_ms = now;
    // Pushgateway style: .../metrics/job/<job>[/instance/<instance>][/<label>/<value>...]
    std::string_view rest = path.substr(std::min(path.size(), std::string_view("prometheus/api/v1/import/prometheus").size()));
    if (StartsWith(rest, "/metrics/")) {
      std::vector<std::string> parts;
      std::string_view r = rest.substr(9);
      while (!r.empty()) {
        size_t slash = r.find('/');
        parts.emplace_back(r.substr(0, slash));
        if (slash == std::string_view::npos) break;
        r.remove_prefix(slash + 1);
      }
      if (parts.size() % 2 != 0) return fail(400, "push path must be /metrics/<label>/<value>[/<label>/<value>...]");
      for (size_t i = 0; i < parts.size(); i += 2) o.extra_labels.push_back(Label{parts[i], parts[i + 1]});
    }
    return Ingest("prometheus_text", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParsePromText(body, o, s, r); },
                  204, respond);
  }
  if (path == "influx/write" || path == "influx/api/v2/write") {
    ingest::InfluxOptions o;
    o.now_ms = now;
    absl::StatusOr<ingest::InfluxPrecision> p = ingest::ParseInfluxPrecision(req.Param("precision"));
    if (!p.ok()) return fail(400, std::string(p.status().message()));
    o.precision = *p;
    o.db = std::string(path == "influx/write" ? req.Param("db") : req.Param("bucket"));
    return Ingest("influx", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParseInflux(body, o, s, r); },
                  204, respond);
  }
  if (path == "opentsdb/api/put") {
    ingest::OpenTsdbOptions o;
    o.now_ms = now;
    return Ingest("opentsdb", tenant, body.size(),
                  [&](ingest::RowSink& s, ingest::ParseResult* r) { return ingest::ParseOpenTsdbHttp(body, o, s, r); },
                  204, respond);
  }
  fail(404, absl::StrCat("unsupported path ", req.path));
}

void InsertApi::Register(http::HttpServer* server) {
  server->HandlePrefixAsync("/insert/", [this](const http::HttpRequest& req, http::HttpResponder respond) {
    std::string_view rest = req.path_remainder;
    size_t slash = rest.find('/');
    absl::StatusOr<Tenant> tenant = ParseTenant(rest.substr(0, slash));
    if (!tenant.ok()) {
      http::HttpResponse resp;
      Error(resp, 400, std::string(tenant.status().message()));
      return respond(std::move(resp));
    }
    Dispatch(req, respond, *tenant, slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  });
  const std::pair<const char*, const char*> aliases[] = {
      {"/api/v1/write", "prometheus/api/v1/write"},
      {"/api/v1/push", "prometheus/api/v1/push"},
      {"/api/v1/import", "prometheus/api/v1/import"},
      {"/api/v1/import/csv", "prometheus/api/v1/import/csv"},
      {"/api/v1/import/prometheus", "prometheus/api/v1/import/prometheus"},
      {"/write", "influx/write"},
      {"/api/v2/write", "influx/api/v2/write"},
      {"/opentsdb/api/put", "opentsdb/api/put"},
  };
  for (const auto& [from, to] : aliases) {
    std::string target = to;
    server->HandleAsync(from, [this, target](const http::HttpRequest& req, http::HttpResponder respond) {
      Dispatch(req, respond, Tenant{}, target);
    });
  }
  server->HandlePrefixAsync("/api/v1/import/prometheus/metrics/",
                            [this](const http::HttpRequest& req, http::HttpResponder respond) {
                              Dispatch(req, respond, Tenant{}, "prometheus" + req.path);
                            });
}

}  // namespace strata
