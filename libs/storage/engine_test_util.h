// Helpers shared by the storage engine's tests (engine_test.cc,
// engine_refs_test.cc, engine_block_cache_test.cc): a temporary data directory,
// options with a settable clock, rows, matchers and a search that merges what it
// answers per series.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "libs/model/dedup.h"
#include "libs/rpc/proto_convert.h"
#include "libs/storage/engine.h"

namespace strata::storage::testing {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'764'028'800'000;  // 2025-11-25T00:00:00Z

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/strata-engine-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

inline EngineOptions Opts(const std::string& dir, int64_t* now) {
  EngineOptions o;
  o.data_dir = dir;
  o.background = false;
  o.wal_fsync = wal::FsyncPolicy::kNever;
  o.clock = [now] { return *now; };
  return o;
}

inline void AddRow(pb::WriteRequest* req, std::vector<Label> labels, std::vector<Sample> samples, uint32_t account = 0) {
  auto* ts = req->add_series();
  ts->set_account_id(account);
  for (auto& l : labels) {
    auto* pl = ts->add_labels();
    pl->set_name(l.name);
    pl->set_value(l.value);
  }
  for (auto& s : samples) {
    auto* ps = ts->add_samples();
    ps->set_timestamp_ms(s.t);
    ps->set_value(s.v);
  }
}

inline std::vector<Sample> Ramp(int64_t start, int n, int64_t step, double v0 = 0) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) out.push_back({start + i * step, v0 + i});
  return out;
}

inline pb::Matcher M(pb::MatchType t, std::string name, std::string value) {
  pb::Matcher m;
  m.set_type(t);
  m.set_name(std::move(name));
  m.set_value(std::move(value));
  return m;
}

// Labels string -> merged samples of every matching series.
inline std::map<std::string, std::vector<Sample>> Search(StorageEngine& e, std::vector<pb::Matcher> ms, int64_t mint,
                                                  int64_t maxt, uint32_t account = 0, bool entries = false,
                                                  bool packed = false, const RefGrid& refs = {}) {
  pb::SearchRequest req;
  req.mutable_instant_refs()->set_first_ms(refs.first);
  req.mutable_instant_refs()->set_step_ms(refs.step);
  req.mutable_instant_refs()->set_count(refs.count);
  req.set_account_id(account);
  for (auto& m : ms) *req.add_matchers() = m;
  req.set_min_time_ms(mint);
  req.set_max_time_ms(maxt);
  req.set_accept_label_entries(entries);
  req.set_accept_packed_samples(packed);
  std::map<std::string, std::vector<Sample>> out;
  absl::Status s = e.Search(req, [&](pb::SearchSeries&& series) {
    // Head samples come packed exactly when asked for.
    for (const auto& b : series.blocks()) CHECK((packed ? b.raw_samples() : b.packed_samples()).empty());
    // Labels come in exactly one of the two forms, the one asked for.
    CHECK(series.label_entries().empty() != entries);
    CHECK((series.labels_size() == 0) == entries);
    auto parsed = LabelsOfSearchSeries(series);
    REQUIRE(parsed.ok());
    auto labels = *parsed;
    auto& v = out[labels.ToString()];
    for (const auto& b : series.blocks()) REQUIRE(DecodeProtoBlock(b, &v).ok());
    SortAndCollapse(&v);
    std::erase_if(v, [&](const Sample& x) { return x.t < mint || x.t > maxt; });
    return true;
  });
  REQUIRE(s.ok());
  return out;
}


}  // namespace strata::storage::testing
