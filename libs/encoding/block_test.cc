#include "libs/encoding/block.h"

#include <xxhash.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<Sample> Regular(size_t n, int64_t t0, int64_t step) {
  std::vector<Sample> s(n);
  for (size_t i = 0; i < n; ++i) s[i].t = t0 + static_cast<int64_t>(i) * step;
  return s;
}

// Encodes, checks the header and that decoding gives back the exact bits; returns
// the block size.
size_t RoundTrip(const std::vector<Sample>& in) {
  std::string block = "prefix";
  EncodeBlock(in, &block);
  REQUIRE(block.substr(0, 6) == "prefix");
  block.erase(0, 6);
  absl::StatusOr<BlockInfo> info = PeekBlockInfo(block);
  REQUIRE(info.ok());
  CHECK(info->count == in.size());
  CHECK(info->min_t == in.front().t);
  CHECK(info->max_t == in.back().t);
  std::vector<Sample> out = {{1, 2.0}};
  absl::Status st = DecodeBlock(block, &out);
  INFO(st.ToString());
  REQUIRE(st.ok());
  REQUIRE(out.size() == in.size() + 1);
  CHECK(out[0] == Sample{1, 2.0});
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("sample " << i << " t=" << in[i].t << " v=" << in[i].v);
    REQUIRE(out[i + 1] == in[i]);
  }
  return block.size();
}

// Rewrites the trailing checksum so that a mutated block reaches the decoder proper.
void FixChecksum(std::string* block) {
  if (block->size() < 4) return;
  size_t body = block->size() - 4;
  auto sum = static_cast<uint32_t>(XXH3_64bits(block->data(), body));
  for (int i = 0; i < 4; ++i) (*block)[body + i] = static_cast<char>(sum >> (8 * i));
}

TEST_CASE("Counters round-trip compactly", "[encoding][block]") {
  std::mt19937_64 rng(1);
  for (size_t n : {2, 3, 120, 720}) {
    auto s = Regular(n, 1700000000000, 15000);
    double v = 12345;
    for (auto& x : s) x.v = v += static_cast<double>(rng() % 50);
    size_t bytes = RoundTrip(s);
    // 50 possible increments: 6 bits of delta, exact 15 s steps cost nothing.
    if (n >= 120) CHECK(bytes <= n * 6 / 8 + 40);
  }
}

TEST_CASE("Gauges with few decimals round-trip", "[encoding][block]") {
  std::mt19937_64 rng(2);
  auto s = Regular(720, 1700000000000, 15000);
  double temp = 4520;  // centi-degrees
  for (auto& x : s) {
    temp += static_cast<double>(static_cast<int>(rng() % 21) - 10);
    x.v = temp / 100;
  }
  size_t bytes = RoundTrip(s);
  CHECK(bytes <= 720 * 5 / 8 + 40);  // deltas within ±10: 5 bits

  for (auto& x : s) x.v = static_cast<double>(rng() % 1000) / 10 - 50;  // 1 decimal
  RoundTrip(s);
}

TEST_CASE("A stray many-digit value does not widen every mantissa", "[encoding][block]") {
  auto s = Regular(720, 1700000000000, 15000);
  for (size_t i = 0; i < s.size(); ++i) s[i].v = static_cast<double>(i % 50) / 10;
  const size_t plain = RoundTrip(s);
  s[100].v = 0.1 + 0.2;  // 0.30000000000000004
  s[500].v = 1.0 / 3;
  CHECK(RoundTrip(s) <= plain + 32);  // two ~10-byte exceptions, not 17-digit mantissas
}

TEST_CASE("Constant series take a few bytes", "[encoding][block]") {
  auto s = Regular(720, 1700000000000, 15000);
  for (auto& x : s) x.v = 1;
  CHECK(RoundTrip(s) <= 32);
}

TEST_CASE("Random doubles round-trip bit-exact", "[encoding][block]") {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 50; ++round) {
    auto s = Regular(1 + rng() % 300, static_cast<int64_t>(rng() % 1000000) - 500000,
                     1 + rng() % 100000);
    for (auto& x : s) x.v = std::bit_cast<double>(rng());  // includes NaN payloads
    RoundTrip(s);
    for (auto& x : s) x.v = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    RoundTrip(s);
  }
}

TEST_CASE("Special values round-trip bit-exact", "[encoding][block]") {
  const double specials[] = {std::nan(""),
                             -std::nan(""),
                             StaleNaN(),
                             std::bit_cast<double>(kNormalNaNBits),
                             kInf,
                             -kInf,
                             -0.0,
                             0.0,
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest(),
                             0.1 + 0.2,
                             1e300};
  // Each special alone, in a counter, and at the start and end of a gauge.
  for (double sp : specials) {
    RoundTrip({{0, sp}});
    auto s = Regular(120, 1700000000000, 15000);
    for (size_t i = 0; i < s.size(); ++i) s[i].v = static_cast<double>(i * 3);
    s[0].v = sp;
    s[60].v = sp;
    s[119].v = sp;
    RoundTrip(s);
  }
  // A counter that goes stale and comes back: stale markers cost an exception each,
  // not the whole block.
  auto s = Regular(120, 1700000000000, 15000);
  for (size_t i = 0; i < s.size(); ++i) s[i].v = (i >= 50 && i < 53) ? StaleNaN() : 100.0 + i;
  CHECK(RoundTrip(s) <= 64);
  // All specials.
  std::vector<Sample> all;
  for (size_t i = 0; i < std::size(specials); ++i)
    all.push_back({static_cast<int64_t>(i), specials[i]});
  RoundTrip(all);
}

TEST_CASE("Payloads zstd can shrink are compressed and round-trip", "[encoding][block]") {
  // Values cycling through a few random doubles: XOR coding sees noise, zstd sees
  // the repeats.
  std::mt19937_64 rng(8);
  double table[8];
  for (double& d : table) d = std::bit_cast<double>(rng() >> 2);
  auto s = Regular(720, 1700000000000, 15000);
  for (size_t i = 0; i < s.size(); ++i) s[i].v = table[i % 8];
  std::string block;
  EncodeBlock(s, &block);
  REQUIRE((block[1] & 1) == 1);  // the zstd flag
  CHECK(block.size() < 720);
  RoundTrip(s);

  // Damage inside the zstd frame, checksum fixed up: still an error, not a crash.
  for (size_t pos = 12; pos < block.size() - 4; pos += 7) {
    std::string bad = block;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    FixChecksum(&bad);
    std::vector<Sample> out;
    absl::Status st = DecodeBlock(bad, &out);
    if (!st.ok()) {
      CHECK(st.code() == absl::StatusCode::kDataLoss);
      CHECK(out.empty());
    }
  }
}

TEST_CASE("Single samples round-trip", "[encoding][block]") {
  for (int64_t t : {int64_t{0}, int64_t{-1}, int64_t{1700000000000}, kMinTime, kMaxTime}) {
    for (double v : {0.0, -0.0, 1.5, StaleNaN(), -kInf}) RoundTrip({{t, v}});
  }
}

TEST_CASE("Irregular, negative and extreme timestamps round-trip", "[encoding][block]") {
  std::mt19937_64 rng(4);
  // Jittered scrapes with a missed one.
  auto s = Regular(720, 1700000000000, 15000);
  for (auto& x : s) x.t += static_cast<int64_t>(rng() % 5) - 2;
  s.erase(s.begin() + 300);
  for (auto& x : s) x.v = 1;
  RoundTrip(s);
  // Irregular gaps, negative times.
  std::vector<Sample> irr;
  int64_t t = -10000000;
  for (int i = 0; i < 500; ++i) {
    t += 1 + static_cast<int64_t>(rng() % (i % 10 == 0 ? 1000000 : 100));
    irr.push_back({t, static_cast<double>(i)});
  }
  RoundTrip(irr);
  // The whole int64 range.
  RoundTrip({{kMinTime, 1}, {kMinTime + 1, 2}, {0, 3}, {kMaxTime - 1, 4}, {kMaxTime, 5}});
  RoundTrip({{kMinTime, 1}, {kMaxTime, 2}});
  // Large deltas with a varying step.
  std::vector<Sample> big;
  for (int i = 0; i < 64; ++i)
    big.push_back({kMinTime + static_cast<int64_t>(i) * (int64_t{1} << 57) + i * i, 1.0 * i});
  RoundTrip(big);
}

TEST_CASE("DecodeBlockRange keeps only samples in range", "[encoding][block]") {
  auto s = Regular(100, 1000, 10);
  for (auto& x : s) x.v = static_cast<double>(x.t);
  std::string block;
  EncodeBlock(s, &block);
  std::vector<Sample> out = {{0, 0}};
  REQUIRE(DecodeBlockRange(block, 1095, 1200, &out).ok());
  REQUIRE(out.size() == 1 + 11);
  CHECK(out[1].t == 1100);
  CHECK(out.back().t == 1200);
  out.clear();
  REQUIRE(DecodeBlockRange(block, 0, 999, &out).ok());
  CHECK(out.empty());
  REQUIRE(DecodeBlockRange(block, kMinTime, kMaxTime, &out).ok());
  CHECK(out.size() == 100);
}

std::string SampleBlock() {
  std::mt19937_64 rng(5);
  auto s = Regular(200, 1700000000000, 15000);
  for (size_t i = 0; i < s.size(); ++i) {
    s[i].t += static_cast<int64_t>(rng() % 3);
    s[i].v = i % 50 == 7 ? StaleNaN() : static_cast<double>(rng() % 10000) / 100;
  }
  std::string block;
  EncodeBlock(s, &block);
  return block;
}

TEST_CASE("Corruption is detected", "[encoding][block]") {
  const std::string good = SampleBlock();
  std::vector<Sample> out;
  REQUIRE(DecodeBlock(good, &out).ok());

  for (size_t len = 0; len < good.size(); ++len) {
    out.clear();
    absl::Status st = DecodeBlock(std::string_view(good.data(), len), &out);
    CHECK_FALSE(st.ok());
    CHECK(out.empty());
    CHECK_FALSE(PeekBlockInfo(std::string_view(good.data(), len)).ok());
  }
  for (size_t bit = 8; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    out.clear();
    absl::Status st = DecodeBlock(bad, &out);
    CHECK(st.code() == absl::StatusCode::kDataLoss);
    CHECK(out.empty());
  }
  std::string extra = good + "x";
  CHECK_FALSE(DecodeBlock(extra, &out).ok());

  std::string v2 = good;
  v2[0] = 2;
  CHECK(DecodeBlock(v2, &out).code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(DecodeBlock(v2, &out).message()) ==
        "unsupported sample block format version 2");
  CHECK(PeekBlockInfo(v2).status().code() == absl::StatusCode::kInvalidArgument);
  std::string flags = good;
  flags[1] = static_cast<char>(flags[1] | 0x80);
  FixChecksum(&flags);
  CHECK(DecodeBlock(flags, &out).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Mutated and random blocks never crash the decoder", "[encoding][block][fuzz]") {
  // Checksums are recomputed after each mutation so the payload decoders, not just
  // the checksum, see the damage. Run under ASan/UBSan for full value.
  std::vector<std::string> seeds = {SampleBlock()};
  std::mt19937_64 rng(6);
  {
    auto s = Regular(300, -5000, 7);
    for (auto& x : s) x.v = std::bit_cast<double>(rng());
    seeds.emplace_back();
    EncodeBlock(s, &seeds.back());
    for (auto& x : s) x.v = static_cast<double>(x.t % 17);
    seeds.emplace_back();
    EncodeBlock(s, &seeds.back());
    seeds.emplace_back();
    EncodeBlock(std::vector<Sample>{{5, 1.0}}, &seeds.back());
  }
  size_t decoded_ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string b = seeds[rng() % seeds.size()];
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !b.empty(); ++m) {
      size_t pos = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[pos] = static_cast<char>(b[pos] ^ (1 << (rng() % 8)));
          break;
        case 1:
          b[pos] = static_cast<char>(rng());
          break;
        case 2:
          b.erase(pos, 1 + rng() % 8);
          break;
        case 3:
          b.insert(pos, 1 + rng() % 4, static_cast<char>(rng()));
          break;
      }
    }
    if (rng() % 4 != 0 && !b.empty()) b[0] = static_cast<char>(kBlockFormatVersion);
    FixChecksum(&b);
    std::vector<Sample> out;
    absl::Status st = DecodeBlock(b, &out);
    if (st.ok()) {
      ++decoded_ok;
      REQUIRE(!out.empty());
      REQUIRE(out.size() <= kMaxBlockSamples);
      for (size_t i = 1; i < out.size(); ++i) REQUIRE(out[i].t > out[i - 1].t);
    } else {
      REQUIRE(out.empty());
    }
    (void)PeekBlockInfo(b);
  }
  for (int iter = 0; iter < 5000; ++iter) {
    std::string b(rng() % 64, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    if (!b.empty()) b[0] = static_cast<char>(kBlockFormatVersion);
    FixChecksum(&b);
    std::vector<Sample> out;
    (void)DecodeBlock(b, &out);
  }
  INFO("mutants that still decoded: " << decoded_ok);
  SUCCEED();
}

}  // namespace
}  // namespace strata
