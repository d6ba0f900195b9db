#include "tools/loadgen/node_exporter_series.h"

#include <set>

#include <catch2/catch.hpp>

#include "libs/ingest/remote_write.h"
#include "libs/ingest/test_sink.h"

using strata::loadgen::NodeExporterSeries;

namespace {

std::vector<strata::ingest::TestSink::Row> Decode(const std::vector<std::string>& bodies) {
  strata::ingest::TestSink sink;
  for (const std::string& b : bodies) {
    strata::ingest::ParseResult r;
    REQUIRE(strata::ingest::ParseRemoteWrite(b, {}, sink, &r).ok());
    REQUIRE(r.rejected_lines == 0);
  }
  return sink.rows;
}

}  // namespace

TEST_CASE("NodeExporterSeries: distinct node_exporter-like series, bodies of the asked size") {
  NodeExporterSeries gen(1000, 7);
  REQUIRE(gen.size() == 1000);
  std::vector<std::string> bodies = gen.Round(1'700'000'000'000, 300);
  REQUIRE(bodies.size() == 4);  // 300 + 300 + 300 + 100
  auto rows = Decode(bodies);
  REQUIRE(rows.size() == 1000);
  std::set<std::string> distinct;
  for (const auto& r : rows) {
    distinct.insert(r.labels);
    REQUIRE(r.samples.size() == 1);
    CHECK(r.samples[0].t == 1'700'000'000'000);
    CHECK(r.labels.rfind("__name__=node_", 0) == 0);
    CHECK(r.labels.find("job=node") != std::string::npos);
  }
  CHECK(distinct.size() == 1000);
  CHECK(rows[0].labels == "__name__=node_cpu_seconds_total,cpu=0,instance=host-0:9100,job=node,mode=idle");
}

TEST_CASE("NodeExporterSeries: the seed decides values, counters never decrease") {
  NodeExporterSeries a(200, 1), b(200, 1), c(200, 2);
  auto a1 = a.Round(1000, 50), b1 = b.Round(1000, 50), c1 = c.Round(1000, 50);
  CHECK(a1 == b1);
  CHECK(a1 != c1);
  auto first = Decode(a1), second = Decode(a.Round(16000, 50));
  for (size_t i = 0; i < first.size(); ++i) {
    REQUIRE(first[i].labels == second[i].labels);
    if (first[i].labels.find("_total,") != std::string::npos) {
      CHECK(second[i].samples[0].v >= first[i].samples[0].v);
    }
  }
}
