#include "libs/common/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>

using strata::Counter;
using strata::FormatMetricValue;
using strata::MetricsRegistry;

namespace {

// A strict reader of text format 0.0.4: sample lines become "name{labels}" -> value
// with labels unescaped and re-joined as k="v" in the order written; HELP and TYPE
// lines are collected per family. Fails the test on anything malformed.
struct Exposition {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> help;
  std::map<std::string, std::string> type;
  std::vector<std::string> order;  // family names in order of TYPE lines
};

Exposition Parse(const std::string& text) {
  Exposition e;
  REQUIRE((text.empty() || text.back() == '\n'));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      REQUIRE(sp != std::string::npos);
      e.help[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      REQUIRE(sp != std::string::npos);
      e.type[rest.substr(0, sp)] = rest.substr(sp + 1);
      e.order.push_back(rest.substr(0, sp));
      continue;
    }
    size_t i = 0;
    std::string key;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') key += line[i++];
    REQUIRE(i < line.size());
    if (line[i] == '{') {
      key += '{';
      ++i;
      bool first = true;
      while (line[i] != '}') {
        if (!first) {
          REQUIRE(line[i] == ',');
          key += ',';
          ++i;
        }
        first = false;
        while (line[i] != '=') key += line[i++];
        key += '=';
        ++i;
        REQUIRE(line[i] == '"');
        ++i;
        std::string value;
        while (line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            char c = line[i];
            REQUIRE((c == '\\' || c == '"' || c == 'n'));
            value += c == 'n' ? '\n' : c;
          } else {
            value += line[i];
          }
          ++i;
          REQUIRE(i < line.size());
        }
        ++i;
        key += "\"" + value + "\"";
      }
      key += '}';
      ++i;
    }
    REQUIRE(line[i] == ' ');
    std::string v = line.substr(i + 1);
    double d = v == "+Inf" ? INFINITY : v == "-Inf" ? -INFINITY : v == "NaN" ? NAN : std::stod(v);
    REQUIRE(e.samples.count(key) == 0);
    e.samples[key] = d;
  }
  return e;
}

}  // namespace

TEST_CASE("FormatMetricValue matches Prometheus spelling") {
  CHECK(FormatMetricValue(0) == "0");
  CHECK(FormatMetricValue(-0.0) == "0");
  CHECK(FormatMetricValue(1) == "1");
  CHECK(FormatMetricValue(-1) == "-1");
  CHECK(FormatMetricValue(1e6) == "1000000");
  CHECK(FormatMetricValue(12345678901.0) == "12345678901");
  CHECK(FormatMetricValue(0.005) == "0.005");
  CHECK(FormatMetricValue(2.5) == "2.5");
  CHECK(FormatMetricValue(1.5e-7) == "1.5e-07");
  CHECK(FormatMetricValue(1e20) == "1e+20");
  CHECK(FormatMetricValue(INFINITY) == "+Inf");
  CHECK(FormatMetricValue(-INFINITY) == "-Inf");
  CHECK(FormatMetricValue(NAN) == "NaN");
  for (double v : {0.1, 1.0 / 3, 123456.789, 6.02214076e23, -2.2250738585072014e-308}) {
    CHECK(std::stod(FormatMetricValue(v)) == v);
  }
}

TEST_CASE("Counter, gauge and labeled families render and parse back") {
  MetricsRegistry reg;
  Counter& c = reg.AddCounter("test_events_total", "Events seen.");
  c.Inc();
  c.Add(2.5);
  c.Add(-7);  // ignored
  auto& fam = reg.AddCounterFamily("test_requests_total", "Requests by code.", {"path", "code"});
  fam.WithLabels({"/a", "200"}).Add(3);
  fam.WithLabels({"/a", "500"}).Inc();
  fam.WithLabels({"/a", "200"}).Inc();
  auto& g = reg.AddGauge("test_temperature", "Line one\nline two \\ backslash.");
  g.Set(10);
  g.Sub(2.5);
  auto& gf = reg.AddGaugeFamily("test_queue", "Queue.", {"name"});
  gf.WithLabels({"quote\" back\\slash new\nline"}).Set(-4);
  reg.AddGaugeFamily("test_unused", "Never used.", {"x"});  // no children -> not rendered

  std::string text = reg.Render();
  auto e = Parse(text);
  CHECK(e.samples.at("test_events_total") == 3.5);
  CHECK(e.samples.at("test_requests_total{path=\"/a\",code=\"200\"}") == 4);
  CHECK(e.samples.at("test_requests_total{path=\"/a\",code=\"500\"}") == 1);
  CHECK(e.samples.at("test_temperature") == 7.5);
  CHECK(e.samples.at("test_queue{name=\"quote\" back\\slash new\nline\"}") == -4);
  CHECK(e.type.at("test_events_total") == "counter");
  CHECK(e.type.at("test_temperature") == "gauge");
  CHECK(e.help.at("test_temperature") == "Line one\\nline two \\\\ backslash.");
  CHECK(e.type.count("test_unused") == 0);
  // Families are sorted by name.
  CHECK(e.order == std::vector<std::string>{"test_events_total", "test_queue", "test_requests_total",
                                            "test_temperature"});
  // Exact bytes of one family.
  CHECK(text.find("# HELP test_events_total Events seen.\n# TYPE test_events_total counter\n"
                  "test_events_total 3.5\n") != std::string::npos);
}

TEST_CASE("Histogram renders cumulative buckets, sum and count") {
  MetricsRegistry reg;
  auto& h = reg.AddHistogram("test_latency_seconds", "Latency.", {0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 2.0, 100.0}) h.Observe(v);
  auto& hf = reg.AddHistogramFamily("test_size_bytes", "Sizes.", {"kind"}, strata::ExponentialBuckets(1, 10, 3));
  hf.WithLabels({"a"}).Observe(5);

  auto e = Parse(reg.Render());
  CHECK(e.type.at("test_latency_seconds") == "histogram");
  CHECK(e.samples.at("test_latency_seconds_bucket{le=\"0.1\"}") == 2);  // le is inclusive
  CHECK(e.samples.at("test_latency_seconds_bucket{le=\"1\"}") == 3);
  CHECK(e.samples.at("test_latency_seconds_bucket{le=\"10\"}") == 4);
  CHECK(e.samples.at("test_latency_seconds_bucket{le=\"+Inf\"}") == 5);
  CHECK(e.samples.at("test_latency_seconds_sum") == Approx(102.65));
  CHECK(e.samples.at("test_latency_seconds_count") == 5);
  CHECK(e.samples.at("test_size_bytes_bucket{kind=\"a\",le=\"1\"}") == 0);
  CHECK(e.samples.at("test_size_bytes_bucket{kind=\"a\",le=\"10\"}") == 1);
  CHECK(e.samples.at("test_size_bytes_bucket{kind=\"a\",le=\"100\"}") == 1);
  CHECK(e.samples.at("test_size_bytes_bucket{kind=\"a\",le=\"+Inf\"}") == 1);
  CHECK(e.samples.at("test_size_bytes_count{kind=\"a\"}") == 1);
}

TEST_CASE("Callback metrics are evaluated at render time and can be replaced or removed") {
  MetricsRegistry reg;
  double value = 1;
  reg.AddCallbackGauge("test_cb", "Callback.", [&] { return value; });
  reg.AddCallbackCounter("test_cb_total", "Callback counter.", [] { return 42.0; });
  CHECK(Parse(reg.Render()).samples.at("test_cb") == 1);
  value = 2;
  auto e = Parse(reg.Render());
  CHECK(e.samples.at("test_cb") == 2);
  CHECK(e.type.at("test_cb_total") == "counter");
  reg.AddCallbackGauge("test_cb", "Callback.", [] { return NAN; });
  CHECK(std::isnan(Parse(reg.Render()).samples.at("test_cb")));
  reg.Remove("test_cb");
  CHECK(Parse(reg.Render()).samples.count("test_cb") == 0);
}

TEST_CASE("Re-registering the same metric returns the same family") {
  MetricsRegistry reg;
  auto& a = reg.AddCounterFamily("test_x_total", "X.", {"a"});
  auto& b = reg.AddCounterFamily("test_x_total", "X.", {"a"});
  CHECK(&a == &b);
  CHECK(&a.WithLabels({"1"}) == &b.WithLabels({"1"}));
  auto& h1 = reg.AddHistogram("test_h", "H.", {1, 2});
  auto& h2 = reg.AddHistogram("test_h", "H.", {1, 2, std::numeric_limits<double>::infinity()});
  CHECK(&h1 == &h2);
}

TEST_CASE("Concurrent updates are not lost") {
  MetricsRegistry reg;
  auto& fam = reg.AddCounterFamily("test_c_total", "C.", {"t"});
  auto& h = reg.AddHistogram("test_h_seconds", "H.");
  constexpr int kThreads = 4, kIters = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        fam.WithLabels({i % 2 == 0 ? "even" : "odd"}).Inc();
        h.Observe(0.01 * (t + 1));
        if (i % 1000 == 0) (void)reg.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto e = Parse(reg.Render());
  CHECK(e.samples.at("test_c_total{t=\"even\"}") == kThreads * kIters / 2);
  CHECK(e.samples.at("test_c_total{t=\"odd\"}") == kThreads * kIters / 2);
  CHECK(e.samples.at("test_h_seconds_count") == kThreads * kIters);
  CHECK(e.samples.at("test_h_seconds_sum") == Approx(kIters * (0.01 + 0.02 + 0.03 + 0.04)));
}

TEST_CASE("Bucket helpers") {
  CHECK(strata::DefaultBuckets().size() == 11);
  CHECK(strata::LinearBuckets(1, 2, 3) == std::vector<double>{1, 3, 5});
  CHECK(strata::ExponentialBuckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
  auto lat = strata::LatencyBuckets();
  CHECK(std::is_sorted(lat.begin(), lat.end()));
  CHECK(lat.front() == 0.001);
}

TEST_CASE("Callbacks and families render interleaved in name order") {
  MetricsRegistry reg;
  reg.AddCallbackGauge("c_cb", "C.", [] { return 3.0; });
  reg.AddCounter("b_total", "B.").Inc();
  reg.AddCallbackGauge("a_cb", "A.", [] { return 1.0; });
  reg.AddGauge("d", "D.").Set(4);
  auto e = Parse(reg.Render());
  CHECK(e.order == std::vector<std::string>{"a_cb", "b_total", "c_cb", "d"});
  CHECK(e.samples.at("a_cb") == 1);
  CHECK(e.samples.at("c_cb") == 3);
}
