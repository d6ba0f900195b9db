#include "libs/encoding/packed_samples.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Pack(const std::vector<Sample>& in) {
  std::string out;
  AppendPackedSamples(in, &out);
  return out;
}

std::vector<Sample> Unpack(const std::string& bytes, size_t count, int64_t min_t = kMinTime,
                           int64_t max_t = kMaxTime) {
  std::vector<Sample> out;
  absl::Status s = DecodePackedSamples(bytes, count, min_t, max_t, &out);
  REQUIRE(s.ok());
  return out;
}

// A counter scraped every 15 s, with Prometheus' usual few ms of jitter now and then.
std::vector<Sample> Counter(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  double v = 1000;
  for (size_t i = 0; i < n; ++i) {
    const int64_t jitter = rng() % 10 == 0 ? static_cast<int64_t>(rng() % 5) - 2 : 0;
    out.push_back({kT0 + static_cast<int64_t>(i) * 15'000 + jitter, v});
    v += static_cast<double>(rng() % 20);
  }
  return out;
}

TEST_CASE("Packed samples round-trip bit for bit", "[encoding][packed_samples]") {
  std::mt19937_64 rng(11);
  std::vector<std::vector<Sample>> cases = {
      {{kT0, 1.5}},
      {{kT0, 1}, {kT0 + 1, 1}, {kT0 + 2, 1}},  // unchanged values: control bytes only
      {{kT0, 0.0},
       {kT0 + 15'000, -0.0},
       {kT0 + 30'000, StaleNaN()},
       {kT0 + 45'000, std::bit_cast<double>(kNormalNaNBits)},
       {kT0 + 60'000, std::bit_cast<double>(0x7ff8dead00000001ULL)},
       {kT0 + 75'000, std::numeric_limits<double>::infinity()},
       {kT0 + 90'000, -std::numeric_limits<double>::infinity()},
       {kT0 + 105'000, std::numeric_limits<double>::denorm_min()},
       {kT0 + 120'000, std::numeric_limits<double>::max()}},
      // The int64 extremes: deltas and deltas of deltas that wrap around 2^64.
      {{kMinTime, 1}, {kMinTime + 1, 2}, {0, 3}, {kMaxTime - 1, 4}, {kMaxTime, 5}},
      {{-5, 1}, {-4, 1}, {1'000'000'000'000'000, 7}},
      Counter(241, 1),
      Counter(5760, 2),
      Counter(60'000, 6),  // more than the encoder's kept buffer holds
  };
  std::vector<Sample> random;
  int64_t t = -1000;
  for (int i = 0; i < 2000; ++i) {
    t += 1 + static_cast<int64_t>(rng() % (i % 3 == 0 ? 1'000'000'000 : 3));
    random.push_back({t, std::bit_cast<double>(rng())});
  }
  cases.push_back(random);
  for (const std::vector<Sample>& in : cases) {
    INFO(in.size() << " samples");
    const std::string bytes = Pack(in);
    CHECK(Unpack(bytes, in.size()) == in);
    // One at a time, the appender writes the same bytes.
    PackedSampleAppender a;
    std::string grown;
    for (const Sample& x : in) {
      REQUIRE(a.Accepts(x.t));
      a.Append(x, &grown);
    }
    CHECK(grown == bytes);
    CHECK(a.count() == in.size());
    CHECK(a.first_t() == in.front().t);
    CHECK(a.last_t() == in.back().t);
    CHECK_FALSE(a.Accepts(in.back().t));
  }
}

TEST_CASE("Packed samples are small for scraped counters", "[encoding][packed_samples]") {
  const std::vector<Sample> in = Counter(241, 3);
  const std::string bytes = Pack(in);
  // 16 bytes for the first sample, then 1 control byte, a varint only for jittered
  // timestamps, and the value's changed bytes: well under 4 a sample, not 16.
  CHECK(bytes.size() < 16 + 4 * in.size());
  // Timestamps exactly on the grid and a value that does not change: one byte each.
  std::vector<Sample> flat;
  for (int i = 0; i < 100; ++i) flat.push_back({kT0 + i * 15'000, 42});
  CHECK(Pack(flat).size() == 16 + (1 + 3) + 98);  // the second sample carries the first delta
}

TEST_CASE("Packed samples keep only the asked range and append", "[encoding][packed_samples]") {
  const std::vector<Sample> in = Counter(100, 4);
  const std::string bytes = Pack(in);
  const int64_t lo = in[10].t, hi = in[20].t;
  std::vector<Sample> out = {{1, 2}};
  REQUIRE(DecodePackedSamples(bytes, in.size(), lo, hi, &out).ok());
  REQUIRE(out.size() == 12);
  CHECK(out[0] == Sample{1, 2});
  CHECK(std::vector<Sample>(out.begin() + 1, out.end()) == std::vector<Sample>(in.begin() + 10, in.begin() + 21));
  // Appending to existing bytes keeps them.
  std::string two = "xy";
  AppendPackedSamples(in, &two);
  CHECK(two.substr(0, 2) == "xy");
  CHECK(two.substr(2) == bytes);
  std::string none;
  AppendPackedSamples({}, &none);
  CHECK(none.empty());
}

TEST_CASE("Corrupt packed samples are reported, never decoded", "[encoding][packed_samples]") {
  const std::vector<Sample> in = Counter(50, 5);
  const std::string bytes = Pack(in);
  auto fails = [](const std::string& b, size_t count) {
    std::vector<Sample> out = {{7, 7}};
    absl::Status s = DecodePackedSamples(b, count, kMinTime, kMaxTime, &out);
    CHECK(s.code() == absl::StatusCode::kDataLoss);
    CHECK(out == std::vector<Sample>{{7, 7}});  // left as it was
  };
  SECTION("every truncation") {
    for (size_t n = 0; n < bytes.size(); ++n) fails(bytes.substr(0, n), in.size());
  }
  SECTION("bytes left over, or a wrong count") {
    fails(bytes + '\x80', in.size());
    fails(bytes, in.size() - 1);
    fails(bytes, in.size() + 1);
    fails("x", 0);
    fails(bytes, bytes.size() + 100);  // more samples than bytes: refused before reserving
  }
  SECTION("malformed control bytes") {
    std::string b = Pack({{kT0, 1}, {kT0 + 1, 2}});
    const size_t control = 16;
    // sig > 8 (twice), sig + tz > 8, tz without sig
    for (uint8_t c : {uint8_t{0x89}, uint8_t{0x8f}, uint8_t{0xf2}, uint8_t{0x90}}) {
      std::string bad = b;
      bad[control] = static_cast<char>(c);
      bad.append(16, '\0');  // enough bytes that only the control byte is wrong
      fails(bad, 2);
    }
  }
  SECTION("timestamps that do not ascend") {
    std::string b = Pack({{kT0, 1}, {kT0 + 1, 1}});
    REQUIRE(b.size() == 18);
    b[17] = 0x00;  // delta of delta 0: the same timestamp again
    fails(b, 2);
    b[17] = 0x01;  // zig-zag -1: backwards
    fails(b, 2);
  }
  SECTION("a varint longer than 64 bits") {
    std::string b(16, '\0');
    b += '\x00';  // control: value unchanged, a varint follows
    b.append(9, '\xff');
    b += '\x02';
    fails(b, 2);
  }
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The example of docs/format/packed-samples.md, byte for byte.
TEST_CASE("Packed samples match the documented bytes", "[encoding][packed_samples]") {
  const std::vector<Sample> in = {{1000, 1.0}, {16'000, 2.0}, {31'000, 3.0}};
  const std::string want(
      "\xe8\x03\x00\x00\x00\x00\x00\x00"   // first timestamp, 1000
      "\x00\x00\x00\x00\x00\x00\xf0\x3f"   // first value, 1.0
      "\x62\xb0\xea\x01\xf0\x7f"           // 2 bytes at byte 6, delta of delta 15000; 0x7ff0
      "\xe1\x08",                          // same delta; 1 byte at byte 6: 0x08
      24);
  CHECK(Pack(in) == want);
  CHECK(Unpack(want, 3) == in);
}

}  // namespace
}  // namespace strata
