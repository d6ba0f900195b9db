// Seeded random mutations of valid inputs for every parser: the gcc-built stand-in
// for the libFuzzer targets in fuzz/ (which need clang). Each parser gets a few
// thousand mutants; the test checks that nothing crashes and that the counters agree
// with the rows delivered (fuzz/checking_sink.h).
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "libs/ingest/fuzz/parse_all.h"
#include "libs/ingest/remote_write_encoder.h"

namespace strata::ingest {
namespace {

constexpr int kMutantsPerParser = 5000;

std::string Mutate(const std::string& in, std::mt19937_64& rng) {
  static constexpr char kSpecial[] = "\"\\,= \n{};:.-+eE0123456789[]i\x80\xff\0";
  std::string s = in;
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 7) {
      case 0:  // flip bits of one byte
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
        break;
      case 1:  // insert a random byte
        s.insert(pos, 1, static_cast<char>(rng()));
        break;
      case 2:  // insert a syntax character
        s.insert(pos, 1, kSpecial[rng() % (sizeof(kSpecial) - 1)]);
        break;
      case 3:  // delete a range
        if (pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 4:  // duplicate a range
        if (pos < s.size()) s.insert(pos, s.substr(pos, 1 + rng() % 16));
        break;
      case 5:  // truncate
        s.resize(pos);
        break;
      case 6:  // overwrite with a random byte
        if (pos < s.size()) s[pos] = static_cast<char>(rng());
        break;
    }
  }
  return s;
}

void RunMutations(FuzzTarget target, const std::vector<std::string>& seeds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const std::string& s : seeds) REQUIRE(FuzzOne(target, s));
  FuzzStats stats;
  for (int i = 0; i < kMutantsPerParser; ++i) {
    std::string m = Mutate(seeds[i % seeds.size()], rng);
    bool ok = FuzzOne(target, m, &stats);
    if (!ok) FAIL("invariant broken for mutant " << i << " of size " << m.size());
  }
  // Not vacuous: mutants were both accepted and rejected.
  CHECK(stats.rows > kMutantsPerParser / 10);
  CHECK(stats.rejected > kMutantsPerParser / 10);
}

TEST_CASE("mutation: remote_write") {
  std::vector<WriteRequestSeries> series = {
      {{{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}},
       {{1690000000123, 81234.56}}},
      {{{"__name__", "up"}, {"job", "node"}}, {{1690000000123, 1}, {1690000015123, 0}}}};
  std::string proto = EncodeWriteRequestProto(series);
  RunMutations(FuzzTarget::kRemoteWrite,
               {std::string(1, '\0') + proto, std::string(1, '\1') + SnappyCompress(proto),
                std::string(1, '\2') + proto},
               1);
}

TEST_CASE("mutation: json_lines") {
  RunMutations(FuzzTarget::kJsonLines,
               {R"({"metric":{"__name__":"up","job":"a\"b"},"values":[1,"NaN",2.5e3],"timestamps":[1,2,3]})"
                "\n"
                R"({"metric":{"__name__":"x"},"values":[Infinity],"timestamps":[1690000000000]})"},
               2);
}

TEST_CASE("mutation: csv") {
  RunMutations(FuzzTarget::kCsv,
               {"1:label:a,2:metric:m,3:time:unix_s\nweb1,0.5,1690000000\n\"q,\"\"x\",2,3\n",
                "2:metric:m,1:time:rfc3339,3:label:b\n2023-07-22T04:26:40Z,1,x\n",
                "1:metric:m,2:time:custom:02/Jan/2006:15:04:05.000 -0700\n"
                "7,22/Jul/2023:06:26:40.5 +0200\n"},
               3);
}

TEST_CASE("mutation: prom_text") {
  RunMutations(FuzzTarget::kPromText,
               {"# HELP a b\n# TYPE a counter\na{b=\"c\\\"\\n\\\\\",d=\"e\"} 1.5 1690000000000\nx NaN\n",
                "\x01y{} +Inf\nz -1e-3 -5\n"},
               4);
}

TEST_CASE("mutation: influx") {
  RunMutations(FuzzTarget::kInflux,
               {"weather,location=us\\ west,k\\=1=v temperature=82,humidity=71i,s=\"a \\\"b\" "
                "1465839830100400200\ncpu u=1u,b=true\n",
                "\x03m,t=1 a=1,b=-2.5e3 1690000000\n"},
               5);
}

TEST_CASE("mutation: opentsdb") {
  RunMutations(FuzzTarget::kOpenTsdbHttp,
               {R"([{"metric":"sys.cpu","timestamp":1346846400,"value":18,"tags":{"host":"web01"}},{"metric":"a","value":"1.5"}])",
                R"({"metric":"x","timestamp":1346846400123,"value":-1})"},
               6);
  RunMutations(FuzzTarget::kOpenTsdbTelnet,
               {"put sys.cpu.nice 1346846400 18 host=web01 dc=lga\nput x 1346846400500 1.5\n"}, 7);
}

TEST_CASE("mutation: graphite") {
  RunMutations(FuzzTarget::kGraphite,
               {"servers.web01.cpu 42.5 1690000000\ndisk.used;host=a;m=/var 7.5e9 1690000000.25\n",
                "\x01" "a.b 1\n"},
               8);
}

}  // namespace
}  // namespace strata::ingest
