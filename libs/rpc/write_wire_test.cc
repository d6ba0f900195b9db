#include "libs/rpc/write_wire.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "storage.pb.h"

namespace pb = strata::storage::v1;
using strata::DecodedWrite;
using strata::LabelRef;
using strata::Sample;

namespace {
pb::WriteRequest Example() {
  pb::WriteRequest req;
  auto* a = req.add_series();
  for (auto [n, v] : {std::pair{"__name__", "up"}, {"job", "node"}, {"instance", "h:1"}}) {
    auto* l = a->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  for (int i = 0; i < 3; ++i) {
    auto* s = a->add_samples();
    s->set_timestamp_ms(1700000000000 + i * 15000);
    s->set_value(i * 0.5);
  }
  auto* b = req.add_series();
  b->set_account_id(42);
  b->set_project_id(7);
  auto* l = b->add_labels();
  l->set_name("__name__");
  l->set_value("neg");
  auto* s = b->add_samples();
  s->set_timestamp_ms(-1);
  s->set_value(-std::numeric_limits<double>::infinity());
  b->add_samples();  // all defaults: t = 0, v = 0
  return req;
}
}  // namespace

TEST_CASE("DecodeWriteRequest reads what protobuf wrote") {
  pb::WriteRequest req = Example();
  std::string raw = req.SerializeAsString();
  DecodedWrite d;
  REQUIRE(DecodeWriteRequest(raw, &d).ok());
  REQUIRE(d.rows.size() == 2);
  CHECK(d.rows[0].tenant == strata::Tenant{});
  CHECK(d.rows[1].tenant == strata::Tenant{42, 7});
  auto s0 = d.SamplesOf(d.rows[0]);
  REQUIRE(s0.size() == 3);
  CHECK(s0[2].t == 1700000030000);
  CHECK(s0[2].v == 1.0);
  auto s1 = d.SamplesOf(d.rows[1]);
  REQUIRE(s1.size() == 2);
  CHECK(s1[0].t == -1);
  CHECK(std::isinf(s1[0].v));
  CHECK(s1[1].t == 0);
  CHECK(s1[1].v == 0);

  std::vector<LabelRef> refs;
  REQUIRE(strata::LabelRefsOf(d.rows[0].labels, &refs).ok());
  REQUIRE(refs.size() == 3);
  CHECK(refs[2].name == "instance");
  CHECK(refs[2].value == "h:1");
}

TEST_CASE("AppendSeriesEntry writes what protobuf reads, in both forms") {
  pb::WriteRequest req = Example();
  DecodedWrite d;
  std::string raw = req.SerializeAsString();
  REQUIRE(DecodeWriteRequest(raw, &d).ok());
  std::string again;
  for (const auto& row : d.rows) AppendSeriesEntry(&again, row.tenant, row.labels, d.SamplesOf(row));
  pb::WriteRequest back;
  REQUIRE(back.ParseFromString(again));
  CHECK(back.SerializeAsString() == raw);

  std::string from_refs;
  const std::string long_value(300, 'v');
  std::vector<LabelRef> refs = {{"__name__", "x"}, {"a", long_value}};
  Sample s{5, 2.5};
  AppendSeriesEntry(&from_refs, strata::Tenant{1, 0}, refs, {&s, 1});
  REQUIRE(back.ParseFromString(from_refs));
  REQUIRE(back.series_size() == 1);
  CHECK(back.series(0).account_id() == 1);
  CHECK(back.series(0).labels(1).value().size() == 300);
  CHECK(back.series(0).samples(0).value() == 2.5);
}

TEST_CASE("labels split by another field are gathered, unknown fields skipped") {
  // TimeSeries: label, sample, unknown field 9, label — valid protobuf, unusual order.
  pb::TimeSeries ts;
  auto* l1 = ts.add_labels();
  l1->set_name("__name__");
  l1->set_value("m");
  std::string label1 = ts.SerializeAsString();
  ts.Clear();
  auto* smp = ts.add_samples();
  smp->set_timestamp_ms(9);
  std::string sample = ts.SerializeAsString();
  ts.Clear();
  auto* l2 = ts.add_labels();
  l2->set_name("z");
  l2->set_value("last");
  std::string label2 = ts.SerializeAsString();
  std::string unknown = std::string("\x48\x05", 2);  // field 9, varint 5
  std::string body = label1 + sample + unknown + label2;
  std::string raw = std::string("\x0a", 1) + static_cast<char>(body.size()) + body;
  pb::WriteRequest check;
  REQUIRE(check.ParseFromString(raw));

  DecodedWrite d;
  REQUIRE(DecodeWriteRequest(raw, &d).ok());
  REQUIRE(d.rows.size() == 1);
  std::vector<LabelRef> refs;
  REQUIRE(strata::LabelRefsOf(d.rows[0].labels, &refs).ok());
  REQUIRE(refs.size() == 2);
  CHECK(refs[1].value == "last");
  CHECK(d.SamplesOf(d.rows[0])[0].t == 9);
}

TEST_CASE("malformed requests are InvalidArgument with the byte offset") {
  std::string raw = Example().SerializeAsString();
  DecodedWrite d;
  for (size_t cut = 1; cut < raw.size(); ++cut) {
    // Every strict prefix that ends inside a series must fail, never crash.
    absl::Status s = DecodeWriteRequest(std::string_view(raw).substr(0, cut), &d);
    pb::WriteRequest ref;
    CHECK(s.ok() == ref.ParseFromString(raw.substr(0, cut)));
    if (!s.ok()) {
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK(std::string(s.message()).find("at byte") != std::string::npos);
    }
  }
  CHECK(!DecodeWriteRequest(std::string("\x0b", 1), &d).ok());        // wire type 3 (group)
  CHECK(!DecodeWriteRequest(std::string("\x09\x01", 2), &d).ok());    // series as fixed64
}

// Found by write_wire_fuzz: a row without labels re-encodes (no memcpy from null).
TEST_CASE("a series entry without labels or samples round-trips") {
  std::string raw;
  AppendSeriesEntry(&raw, strata::Tenant{3, 0}, std::string_view(), {});
  AppendSeriesEntry(&raw, strata::Tenant{}, std::span<const LabelRef>(), {});
  DecodedWrite d;
  REQUIRE(DecodeWriteRequest(raw, &d).ok());
  REQUIRE(d.rows.size() == 2);
  CHECK(d.rows[0].tenant == strata::Tenant{3, 0});
  CHECK(d.rows[0].labels.empty());
  CHECK(d.rows[1].num_samples == 0);
}

TEST_CASE("AppendRefEntry writes a reference row protobuf and DecodeWriteRequest read") {
  std::string raw;
  const Sample samples[] = {{1700000000000, 1.5}, {1700000015000, -2}};
  strata::AppendRefEntry(&raw, strata::Tenant{3, 4}, 0xfedcba9876543210ull, samples);
  strata::AppendRefEntry(&raw, strata::Tenant{}, 1, {});
  pb::WriteRequest back;
  REQUIRE(back.ParseFromString(raw));
  REQUIRE(back.series_size() == 2);
  CHECK(back.series(0).account_id() == 3);
  CHECK(back.series(0).project_id() == 4);
  CHECK(back.series(0).series_id() == 0xfedcba9876543210ull);
  CHECK(back.series(0).labels_size() == 0);
  REQUIRE(back.series(0).samples_size() == 2);
  CHECK(back.series(0).samples(1).value() == -2);
  CHECK(back.series(1).series_id() == 1);

  DecodedWrite d;
  REQUIRE(DecodeWriteRequest(raw, &d).ok());
  REQUIRE(d.rows.size() == 2);
  CHECK(d.rows[0].has_series_id);
  CHECK(d.rows[0].series_id == 0xfedcba9876543210ull);
  CHECK(d.rows[0].labels.empty());
  CHECK(d.rows[0].tenant == strata::Tenant{3, 4});
  REQUIRE(d.SamplesOf(d.rows[0]).size() == 2);
  CHECK(d.SamplesOf(d.rows[0])[0].t == 1700000000000);
  CHECK(d.rows[1].has_series_id);
  CHECK(d.rows[1].series_id == 1);
  CHECK(d.SamplesOf(d.rows[1]).empty());

  // A row without series_id is not a reference, and protobuf's own bytes decode the same.
  pb::WriteRequest req = Example();
  req.mutable_series(1)->set_series_id(99);
  REQUIRE(DecodeWriteRequest(req.SerializeAsString(), &d).ok());
  CHECK_FALSE(d.rows[0].has_series_id);
  CHECK(d.rows[1].has_series_id);
  CHECK(d.rows[1].series_id == 99);
  CHECK_FALSE(d.rows[1].labels.empty());

  // series_id with the wrong wire type is malformed, not ignored.
  std::string bad = "\x0a\x02\x28\x01";  // series { field 5 as a varint }
  absl::Status s = DecodeWriteRequest(bad, &d);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message().find("series_id") != std::string_view::npos);
}

TEST_CASE("a reference row's bytes are docs/format/ingest.md's example") {
  std::string raw;
  const Sample s{1700000000000, 1.5};
  strata::AppendRefEntry(&raw, strata::Tenant{}, 0x0123456789abcdefull, {&s, 1});
  const unsigned char golden[] = {0x0a, 0x1b, 0x29, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0x22,
                                  0x10, 0x08, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31, 0x11, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0xf8, 0x3f};
  CHECK(raw == std::string(reinterpret_cast<const char*>(golden), sizeof golden));
}
