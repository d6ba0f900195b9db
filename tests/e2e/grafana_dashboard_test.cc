// docs/grafana/strata-cluster.json (and the alert table of docs/operations.md) stay
// true to the services: every PromQL expression in them parses with strata's own parser (after Grafana's interval
// variables are replaced), and every metric it names is one a running cluster
// really exports on /metrics (scraped here from storage, insert and select after
// traffic that creates the labelled series: good and bad writes, a storage node
// down, good and bad queries).
#include <rapidjson/document.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "libs/http/url.h"
#include "libs/promql/parser/parser.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

// Grafana replaces these before sending a query; any valid duration will do here.
std::string ExpandGrafanaVariables(std::string expr) {
  for (const std::string var : {"$__rate_interval", "$__interval", "$__range"}) {
    for (size_t at = expr.find(var); at != std::string::npos; at = expr.find(var)) expr.replace(at, var.size(), "5m");
  }
  return expr;
}

void CollectMetricNames(const promql::Expr* e, std::set<std::string>* out) {
  using promql::NodeKind;
  if (e == nullptr) return;
  switch (e->kind) {
    case NodeKind::kVectorSelector: {
      const auto* vs = static_cast<const promql::VectorSelector*>(e);
      bool named = false;
      for (const auto& m : vs->matchers) {
        if (m.name() == "__name__" && m.type() == MatchType::kEqual) {
          out->insert(m.value());
          named = true;
        }
      }
      if (!named) out->insert("<selector without a metric name>");
      break;
    }
    case NodeKind::kMatrixSelector:
      CollectMetricNames(static_cast<const promql::MatrixSelector*>(e)->vector_selector.get(), out);
      break;
    case NodeKind::kSubquery:
      CollectMetricNames(static_cast<const promql::SubqueryExpr*>(e)->expr.get(), out);
      break;
    case NodeKind::kParen:
      CollectMetricNames(static_cast<const promql::ParenExpr*>(e)->expr.get(), out);
      break;
    case NodeKind::kUnary:
      CollectMetricNames(static_cast<const promql::UnaryExpr*>(e)->expr.get(), out);
      break;
    case NodeKind::kBinary: {
      const auto* b = static_cast<const promql::BinaryExpr*>(e);
      CollectMetricNames(b->lhs.get(), out);
      CollectMetricNames(b->rhs.get(), out);
      break;
    }
    case NodeKind::kCall:
      for (const auto& a : static_cast<const promql::Call*>(e)->args) CollectMetricNames(a.get(), out);
      break;
    case NodeKind::kAggregate: {
      const auto* a = static_cast<const promql::AggregateExpr*>(e);
      CollectMetricNames(a->expr.get(), out);
      CollectMetricNames(a->param.get(), out);
      break;
    }
    case NodeKind::kNumber:
    case NodeKind::kString:
      break;
  }
}

// Metric names on a text-exposition page: sample names, plus _bucket/_sum/_count
// of every `# TYPE x histogram` (a family may have no child yet).
void AddExportedNames(const std::string& page, std::set<std::string>* out) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream f(line.substr(7));
      std::string name, type;
      f >> name >> type;
      out->insert(name);
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) out->insert(name + suffix);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    out->insert(line.substr(0, line.find_first_of("{ ")));
  }
}

struct DashboardExpr {
  std::string panel;
  std::string expr;
};

std::vector<DashboardExpr> ReadDashboard(const rapidjson::Value& panels) {
  std::vector<DashboardExpr> out;
  for (const auto& p : panels.GetArray()) {
    const std::string title = p.HasMember("title") ? p["title"].GetString() : "";
    if (p.HasMember("panels")) {  // a collapsed row carries its panels
      auto inner = ReadDashboard(p["panels"]);
      out.insert(out.end(), inner.begin(), inner.end());
    }
    if (!p.HasMember("targets")) continue;
    for (const auto& t : p["targets"].GetArray()) {
      if (t.HasMember("expr")) out.push_back({title, t["expr"].GetString()});
    }
  }
  return out;
}

// The PromQL of the alert table in docs/operations.md ("### Alerts worth having"):
// the second column of each row, between backticks; a `<placeholder>` the operator
// fills in becomes a number.
std::vector<std::string> ReadAlertExpressions(const std::string& doc) {
  std::vector<std::string> out;
  size_t at = doc.find("### Alerts worth having");
  if (at == std::string::npos) return out;
  std::istringstream in(doc.substr(at));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| alert", 0) == 0) continue;
    size_t c1 = line.find(" | ");
    if (c1 == std::string::npos) continue;
    size_t open = line.find('`', c1);
    size_t close = open == std::string::npos ? open : line.find('`', open + 1);
    if (close == std::string::npos) continue;
    std::string expr = line.substr(open + 1, close - open - 1);
    for (size_t lt = expr.find('<'); lt != std::string::npos; lt = expr.find('<', lt + 1)) {
      size_t gt = expr.find('>', lt);
      if (gt != std::string::npos && gt > lt + 1 && expr[lt + 1] != ' ' && expr[lt + 1] != '=') {
        expr.replace(lt, gt - lt + 1, "1e12");
      }
    }
    out.push_back(expr);
  }
  return out;
}

}  // namespace

TEST_CASE("Grafana dashboard and documented alerts: every expression parses and names only exported metrics") {
  std::ifstream f(std::string(STRATA_SOURCE_DIR) + "/docs/grafana/strata-cluster.json");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  rapidjson::Document doc;
  doc.Parse(ss.str().c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["uid"].GetString()) == "strata-cluster");
  REQUIRE(doc.HasMember("panels"));
  const auto exprs = ReadDashboard(doc["panels"]);
  REQUIRE(exprs.size() >= 20);

  std::set<std::string> used;
  for (const auto& e : exprs) {
    INFO("panel \"" << e.panel << "\": " << e.expr);
    auto parsed = promql::ParseExpr(ExpandGrafanaVariables(e.expr));
    if (!parsed.ok()) FAIL_CHECK(std::string(parsed.status().message()));
    if (parsed.ok()) CollectMetricNames(parsed->get(), &used);
  }

  std::ifstream ops(std::string(STRATA_SOURCE_DIR) + "/docs/operations.md");
  REQUIRE(ops.good());
  std::stringstream ops_text;
  ops_text << ops.rdbuf();
  const auto alerts = ReadAlertExpressions(ops_text.str());
  CHECK(alerts.size() >= 10);
  std::set<std::string> alert_names;
  for (const auto& e : alerts) {
    INFO("docs/operations.md alert: " << e);
    auto parsed = promql::ParseExpr(e);
    if (!parsed.ok()) FAIL_CHECK(std::string(parsed.status().message()));
    if (parsed.ok()) CollectMetricNames(parsed->get(), &alert_names);
  }

  // A live cluster, with traffic that makes the labelled families appear.
  StorageNodeProcess a, b;
  std::vector<StorageNodeProcess*> nodes = {&a, &b};
  for (auto* n : nodes) REQUIRE(n->proc->Start().ok());
  InsertProcess insert(nodes, {"--replication-factor=2", "--min-replicas=1"});
  SelectProcess select(nodes, {"--replication-factor=2"});
  REQUIRE(insert.proc->Start().ok());
  REQUIRE(select.proc->Start().ok());
  http::HttpClient in("127.0.0.1", insert.http_port);
  const std::string ts = std::to_string(NowMs());
  auto w = in.Post("/api/v1/import/prometheus", "dash_ok{i=\"1\"} 1 " + ts + "\n", "text/plain");
  REQUIRE(w.ok());
  CHECK(w->status == 204);
  w = in.Post("/api/v1/import/prometheus", "dash_bad{ 1\n", "text/plain");
  REQUIRE(w.ok());
  CHECK(w->status == 400);
  http::HttpClient q("127.0.0.1", select.http_port);
  auto r = q.Get("/api/v1/query?query=" + http::UrlEncode("dash_ok"));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  r = q.Get("/api/v1/query?query=" + http::UrlEncode("rate(("));
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  b.proc->Kill(SIGKILL);  // insert now records errors for b and reroutes/under-replicates
  std::string rows;
  for (int i = 0; i < 50; ++i) rows += "dash_more{i=\"" + std::to_string(i) + "\"} 1 " + ts + "\n";
  w = in.Post("/api/v1/import/prometheus", rows, "text/plain");
  REQUIRE(w.ok());
  CHECK(w->status == 204);
  // A query while b is down: select counts the failed fan-out call to b.
  r = q.Get("/api/v1/query?query=" + http::UrlEncode("count(dash_more)"));
  REQUIRE(r.ok());
  CHECK(r->status == 200);

  std::set<std::string> exported;
  for (int port : {a.http_port, insert.http_port, select.http_port}) {
    auto page = http::HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics");
    REQUIRE(page.ok());
    REQUIRE(page->status == 200);
    AddExportedNames(page->body, &exported);
  }
  CHECK(exported.count("strata_insert_storage_errors_total") == 1);  // the traffic did its job

  for (const auto& name : used) {
    INFO("dashboard names " << name);
    CHECK(exported.count(name) == 1);
  }
  for (const auto& name : alert_names) {
    INFO("docs/operations.md alerts on " << name);
    CHECK((exported.count(name) == 1 || name == "up"));  // `up` comes from the scraper
  }
  // The dashboard covers what issue 6 asks an operator to see.
  for (const char* must : {"strata_insert_rows_ingested_total", "strata_insert_rows_rejected_total",
                           "strata_insert_rows_rerouted_total", "strata_insert_rows_under_replicated_total",
                           "strata_storage_rpc_requests_total", "strata_storage_rpc_duration_seconds_bucket",
                           "strata_storage_head_series", "strata_storage_disk_bytes",
                           "strata_select_query_duration_seconds_bucket", "strata_select_queries_total"}) {
    INFO("dashboard lacks " << must);
    CHECK(used.count(must) == 1);
  }
}
