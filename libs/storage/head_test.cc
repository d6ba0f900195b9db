#include "libs/storage/head.h"

#include <algorithm>
#include <thread>

#include <catch2/catch.hpp>

using namespace strata;
using namespace strata::storage;

TEST_CASE("head append, read, drain") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<Sample> a = {{30, 3}, {10, 1}};
  std::vector<Sample> b = {{20, 2}, {10, 1}};
  head.Append({0, 1}, ls, a);
  head.Append({0, 1}, ls, b);
  head.Append({0, 2}, ls, a);
  CHECK(head.NumSeries() == 2);
  CHECK(head.NumSamples() == 6);
  std::vector<Sample> out;
  head.Read({0, 1}, 15, 30, &out);
  CHECK(out.size() == 2);
  out.clear();
  head.Read({1, 1}, 0, 100, &out);  // other tenant
  CHECK(out.empty());
  auto drained = head.Drain();
  REQUIRE(drained.size() == 2);
  for (auto& d : drained) {
    if (d.key.sid == 1) {
      REQUIRE(d.samples.size() == 3);  // sorted, duplicate t=10 collapsed
      CHECK(d.samples[0].t == 10);
      CHECK(d.samples[2].t == 30);
    }
  }
  CHECK(head.NumSeries() == 0);
  CHECK(head.NumSamples() == 0);
}

// In-order samples live in packed runs of up to 256; appends of every size, across
// run boundaries (321 samples in all), must read back complete and in order.
TEST_CASE("appends of any size read back whole and in order across runs") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<Sample> want;
  int64_t t = 0;
  for (size_t n : {1, 3, 1, 7, 40, 1, 31, 32, 33, 100, 2, 5, 64, 1}) {
    std::vector<Sample> add;
    for (size_t i = 0; i < n; ++i, ++t) add.push_back({t, double(t) * 0.5});
    if (want.size() % 2 == 0) {
      head.Append({0, 9}, ls, add);
    } else {
      std::vector<uint8_t> present;
      std::vector<HeadKey> keys = {{0, 9}};
      std::vector<std::span<const Sample>> spans = {add};
      head.AppendIfPresent(keys, spans, &present);
      REQUIRE(present[0] == 1);
    }
    want.insert(want.end(), add.begin(), add.end());
    std::vector<Sample> got;
    head.Read({0, 9}, INT64_MIN, INT64_MAX, &got);
    REQUIRE(got == want);
  }
  std::vector<Sample> window;
  head.Read({0, 9}, 100, 199, &window);
  REQUIRE(window.size() == 100);
  CHECK(window.front().t == 100);
  CHECK(window.back().t == 199);
  CHECK(head.NumSamples() == want.size());
  auto drained = head.Drain();
  REQUIRE(drained.size() == 1);
  CHECK(drained[0].samples == want);
  CHECK(head.NumSamples() == 0);
}

// ReadPacked hands over runs wholly in range as packed bytes, and decodes into
// `rest` the runs the range cuts and the samples that came out of order.
TEST_CASE("packed runs in range go out as they are, cut runs and out-of-order samples as samples") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<Sample> in_order;
  for (int64_t t = 0; t < 300; ++t) in_order.push_back({t * 15'000, double(t) * 1.5});
  head.Append({0, 1}, ls, in_order);  // runs [0, 256) and [256, 300)
  // Out of order: before the last sample, and the last timestamp again.
  head.Append({0, 1}, ls, std::vector<Sample>{{10 * 15'000 + 1, 7}, {299 * 15'000, 8}});
  struct Got {
    std::string bytes;
    uint32_t count;
    int64_t min_t, max_t;
  };
  auto read = [&](int64_t mint, int64_t maxt, std::vector<Got>* runs, std::vector<Sample>* rest) {
    head.ReadPacked(
        {0, 1}, mint, maxt,
        [&](const Head::PackedRun& r) { runs->push_back({std::string(r.bytes), r.count, r.min_t, r.max_t}); },
        rest);
  };
  std::vector<Got> runs;
  std::vector<Sample> rest;
  read(kMinTime, kMaxTime, &runs, &rest);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].count == 256);
  CHECK(runs[0].min_t == 0);
  CHECK(runs[0].max_t == 255 * 15'000);
  CHECK(runs[1].count == 44);
  CHECK(runs[1].max_t == 299 * 15'000);
  std::string want;
  AppendPackedSamples(std::span(in_order).first(256), &want);
  CHECK(runs[0].bytes == want);
  CHECK(rest == std::vector<Sample>{{10 * 15'000 + 1, 7}, {299 * 15'000, 8}});

  // A range that cuts the first run: its samples in range come decoded; the second
  // run, wholly inside, comes packed; the out-of-order sample at 10 is outside.
  runs.clear();
  rest.clear();
  read(200 * 15'000, kMaxTime, &runs, &rest);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].count == 44);
  REQUIRE(rest.size() == 56 + 1);
  CHECK(rest.front() == in_order[200]);
  CHECK(rest[55] == in_order[255]);
  CHECK(rest.back() == Sample{299 * 15'000, 8});

  // Read and Drain see the same samples.
  std::vector<Sample> all;
  head.Read({0, 1}, kMinTime, kMaxTime, &all);
  CHECK(all.size() == 302);
  auto drained = head.Drain();
  REQUIRE(drained.size() == 1);
  CHECK(drained[0].samples.size() == 301);  // the repeated last timestamp collapsed
}

// A backfill (samples older than the series' last one) is packed too, 64 at a time,
// in runs before the one that takes the in-order samples; readers see every sample.
TEST_CASE("out-of-order samples are folded into packed runs of their own") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  head.Append({0, 1}, ls, std::vector<Sample>{{1'000'000, 1}});
  std::vector<Sample> backfill;
  for (int64_t t = 0; t < 150; ++t) backfill.push_back({t * 15, double(t)});
  backfill.push_back({30, 99});  // the same timestamp again: collapsed by readers
  head.Append({0, 1}, ls, backfill);
  head.Append({0, 1}, ls, std::vector<Sample>{{1'000'015, 2}});  // in order: the last run
  std::vector<uint32_t> counts;
  std::vector<Sample> rest;
  head.ReadPacked(
      {0, 1}, kMinTime, kMaxTime, [&](const Head::PackedRun& r) { counts.push_back(r.count); }, &rest);
  // Two folds of 64 (the first 64, then the next 64), before the in-order run.
  CHECK(counts == std::vector<uint32_t>{64, 64, 2});
  CHECK(rest.size() == 151 - 128);
  auto drained = head.Drain();
  REQUIRE(drained.size() == 1);
  REQUIRE(drained[0].samples.size() == 152);
  CHECK(drained[0].samples[2] == Sample{30, 99});  // PreferSample: the larger value
  CHECK(drained[0].samples.back() == Sample{1'000'015, 2});
}

TEST_CASE("concurrent appends are all kept") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        Sample s{int64_t(t) * 1000 + i, 1.0};
        head.Append({0, uint64_t(i % 10)}, ls, std::span<const Sample>(&s, 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(head.NumSamples() == 4000);
  size_t total = 0;
  for (auto& d : head.Drain()) total += d.samples.size();
  CHECK(total == 4000);
}

TEST_CASE("batch AppendIfPresent adds to present series only, whatever their shard or order") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  // Present: sids 0..199 of tenant 0 (every shard), one sample each at t=1.
  for (uint64_t sid = 0; sid < 200; ++sid) head.Append({0, sid}, ls, std::vector<Sample>{{1, 0}});
  std::vector<HeadKey> keys;
  std::vector<std::vector<Sample>> data;
  for (uint64_t sid = 0; sid < 400; sid += 3) {  // 0..199 present, 200..399 absent
    keys.push_back({0, sid});
    data.push_back({{static_cast<int64_t>(sid + 10), static_cast<double>(sid)}});
  }
  keys.push_back({7, 3});  // another tenant: absent
  data.push_back({{5, 5}});
  keys.push_back({0, 3});  // the same series twice in one batch
  data.push_back({{99, 1}, {98, 2}});
  std::vector<std::span<const Sample>> spans(data.begin(), data.end());
  std::vector<uint8_t> present;
  head.AppendIfPresent(keys, spans, &present);
  REQUIRE(present.size() == keys.size());
  size_t added = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool want = keys[i].tenant == 0 && keys[i].sid < 200;
    INFO("key " << keys[i].tenant << "/" << keys[i].sid);
    CHECK(present[i] == want);
    if (want) added += data[i].size();
  }
  CHECK(head.NumSeries() == 200);
  CHECK(head.NumSamples() == 200 + added);
  std::vector<Sample> out;
  head.Read({0, 3}, 0, 1000, &out);
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  CHECK(out == std::vector<Sample>{{1, 0}, {13, 3}, {98, 2}, {99, 1}});
  out.clear();
  head.Read({0, 201}, 0, 1000, &out);
  CHECK(out.empty());
}

TEST_CASE("prefetching series, present, absent or removed meanwhile, changes no read") {
  Head head;
  auto ls = *Labels::FromPairs({{"__name__", "x"}});
  std::vector<HeadKey> keys;
  for (uint64_t sid = 0; sid < 150; ++sid) {  // more than one group of 64
    keys.push_back({0, sid});
    std::vector<Sample> samples;
    for (int64_t t = 0; t < static_cast<int64_t>(sid * 7); ++t) samples.push_back({t, static_cast<double>(t)});
    if (sid % 3 != 0) head.Append({0, sid}, ls, samples);  // every third series absent
  }
  keys.push_back({5, 1});  // another tenant
  head.Prefetch(keys);
  head.Remove({0, 4});
  head.Prefetch(keys);
  head.Prefetch({});
  for (const HeadKey& k : keys) {
    std::vector<Sample> out;
    head.Read(k, 0, 1 << 20, &out);
    const bool present = k.tenant == 0 && k.sid % 3 != 0 && k.sid != 4;
    CHECK(out.size() == (present ? k.sid * 7 : 0));
  }
}
