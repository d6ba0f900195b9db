#include "libs/cluster/encoded_rows.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "storage.pb.h"

using strata::EncodedRows;
using strata::LabelRef;
using strata::Sample;

TEST_CASE("encoded rows parse back as a WriteRequest, field by field") {
  EncodedRows rows;
  const std::string long_value(3000, 'x');  // past Labels::Hash()'s 1 KiB fast path
  std::vector<LabelRef> a = {{"__name__", "up"}, {"instance", "h:9100"}, {"job", "node"}};
  std::vector<LabelRef> b = {{"__name__", "big"}, {"v", long_value}};
  std::vector<Sample> sa = {{1700000000000, 1.0}, {0, 0.0}, {-5, -2.5}};
  std::vector<Sample> sb = {{std::numeric_limits<int64_t>::max(), std::nan("")},
                            {1, std::numeric_limits<double>::infinity()}};
  rows.Add({}, a, sa);
  rows.Add({42, 7}, b, sb);
  rows.Add({std::numeric_limits<uint32_t>::max(), 0}, a, {sa.data(), 1});
  REQUIRE(rows.size() == 3);
  CHECK(rows.total_samples() == 6);

  std::string all;
  for (size_t i = 0; i < rows.size(); ++i) all.append(rows.bytes(i));
  CHECK(all.size() == rows.total_bytes());
  strata::storage::v1::WriteRequest req;
  REQUIRE(req.ParseFromString(all));
  REQUIRE(req.series_size() == 3);

  const auto& t0 = req.series(0);
  CHECK(t0.account_id() == 0);
  CHECK(t0.project_id() == 0);
  REQUIRE(t0.labels_size() == 3);
  CHECK(t0.labels(1).name() == "instance");
  CHECK(t0.labels(1).value() == "h:9100");
  REQUIRE(t0.samples_size() == 3);
  CHECK(t0.samples(0).timestamp_ms() == 1700000000000);
  CHECK(t0.samples(2).timestamp_ms() == -5);
  CHECK(t0.samples(2).value() == -2.5);

  const auto& t1 = req.series(1);
  CHECK(t1.account_id() == 42);
  CHECK(t1.project_id() == 7);
  CHECK(t1.labels(1).value() == long_value);
  CHECK(t1.samples(0).timestamp_ms() == std::numeric_limits<int64_t>::max());
  CHECK(std::isnan(t1.samples(0).value()));
  CHECK(std::isinf(t1.samples(1).value()));
  CHECK(req.series(2).account_id() == std::numeric_limits<uint32_t>::max());

  // Each row alone is a WriteRequest too: that is how batches are cut.
  strata::storage::v1::WriteRequest one;
  REQUIRE(one.ParseFromString(std::string(rows.bytes(1))));
  CHECK(one.series_size() == 1);
  CHECK(one.series(0).labels(0).value() == "big");
}

TEST_CASE("an encoded row's key is Labels::Hash() of its labels") {
  EncodedRows rows;
  std::vector<std::vector<strata::Label>> sets = {
      {{"__name__", "up"}},
      {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}},
      {{"a", std::string(2000, 'z')}, {"b", "c"}},
  };
  Sample s{1, 1};
  for (const auto& set : sets) {
    std::vector<LabelRef> refs;
    for (const auto& l : set) refs.push_back({l.name, l.value});
    rows.Add({}, refs, {&s, 1});
    CHECK(rows.key(rows.size() - 1) == strata::Labels::FromSortedUnchecked(set).Hash());
    CHECK(strata::HashSortedLabels(refs) == strata::Labels::FromSortedUnchecked(set).Hash());
  }
  rows.Clear();
  CHECK(rows.empty());
  CHECK(rows.total_bytes() == 0);
}

TEST_CASE("each encoded row also comes in reference form: tenant, series id, the same samples") {
  EncodedRows rows;
  std::vector<LabelRef> a = {{"__name__", "up"}, {"job", "node"}};
  std::vector<Sample> sa = {{1700000000000, 1.5}, {1700000015000, 2.5}};
  rows.Add({3, 4}, a, sa);
  auto labels = strata::Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
  REQUIRE(labels.ok());
  CHECK(rows.key(0) == labels->Hash());  // the id a storage node files the series under
  CHECK(rows.tenant_key(0) == (strata::Tenant{3, 4}).Key());
  CHECK(rows.ref_bytes(0).size() < rows.bytes(0).size());

  strata::storage::v1::WriteRequest full, ref;
  REQUIRE(full.ParseFromString(std::string(rows.bytes(0))));
  REQUIRE(ref.ParseFromString(std::string(rows.ref_bytes(0))));
  REQUIRE(ref.series_size() == 1);
  const auto& r = ref.series(0);
  CHECK(r.labels_size() == 0);
  CHECK(r.series_id() == rows.key(0));
  CHECK(r.account_id() == 3);
  CHECK(r.project_id() == 4);
  CHECK(r.samples(1).SerializeAsString() == full.series(0).samples(1).SerializeAsString());
  CHECK(full.series(0).series_id() == 0);  // the full form has labels and no id
}
