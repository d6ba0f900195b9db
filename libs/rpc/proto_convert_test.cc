#include "libs/rpc/proto_convert.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "libs/encoding/block.h"
#include "libs/model/sample.h"
#include "libs/rpc/write_wire.h"

using namespace strata;

namespace {

std::vector<Sample> Some() {
  return {{-5, 1.5},
          {0, -0.0},
          {1000, std::numeric_limits<double>::infinity()},
          {2000, StaleNaN()},
          {3000, std::nan("")},
          {4000, 42}};
}

bool SameBits(const std::vector<Sample>& a, const std::vector<Sample>& b) { return a == b; }

}  // namespace

TEST_CASE("raw sample blocks round-trip bit for bit, stale markers included") {
  pb::Block b;
  RawSamplesToProto(Some(), &b);
  CHECK(b.data().empty());
  CHECK(b.samples() == 6);
  CHECK(b.min_time_ms() == -5);
  CHECK(b.max_time_ms() == 4000);
  CHECK(b.raw_samples().size() == 6 * 16);
  std::vector<Sample> out;
  REQUIRE(DecodeProtoBlock(b, &out).ok());
  CHECK(SameBits(out, Some()));
  CHECK(IsStaleNaN(out[3].v));

  out.clear();
  REQUIRE(DecodeProtoBlock(b, 0, 2000, &out).ok());
  REQUIRE(out.size() == 3);
  CHECK(out.front().t == 0);
  CHECK(out.back().t == 2000);
}

TEST_CASE("compressed blocks decode through the same call") {
  pb::Block b;
  EncodeBlock(Some(), b.mutable_data());
  b.set_samples(6);
  std::vector<Sample> out;
  REQUIRE(DecodeProtoBlock(b, &out).ok());
  CHECK(SameBits(out, Some()));
}

TEST_CASE("corrupt raw blocks are DataLoss and leave the output alone") {
  std::vector<Sample> out = {{1, 1}};
  pb::Block b;
  RawSamplesToProto(Some(), &b);
  SECTION("count disagrees with the bytes") {
    b.set_samples(5);
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("truncated") {
    b.mutable_raw_samples()->resize(6 * 16 - 3);
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("timestamps out of order") {
    RawSamplesToProto(std::vector<Sample>{{10, 1}, {20, 2}}, &b);
    std::swap((*b.mutable_raw_samples())[0], (*b.mutable_raw_samples())[16]);
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  CHECK(out.size() == 1);
}

TEST_CASE("packed sample blocks decode through the same call, and one form only") {
  pb::Block b;
  PackedSamplesToProto(Some(), &b);
  CHECK(b.data().empty());
  CHECK(b.raw_samples().empty());
  CHECK(b.samples() == 6);
  CHECK(b.min_time_ms() == -5);
  CHECK(b.max_time_ms() == 4000);
  CHECK(b.packed_samples().size() < 6 * 16);
  std::vector<Sample> out = {{-100, 1}};
  REQUIRE(DecodeProtoBlock(b, 0, 2000, &out).ok());
  REQUIRE(out.size() == 4);
  CHECK(out[1].t == 0);
  CHECK(out.back().t == 2000);
  out.clear();
  REQUIRE(DecodeProtoBlock(b, &out).ok());
  CHECK(SameBits(out, Some()));

  out = {{1, 1}};
  SECTION("count disagrees with the bytes") {
    b.set_samples(5);
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("packed and raw") {
    RawSamplesToProto(Some(), &b);
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("packed and encoded") {
    EncodeBlock(Some(), b.mutable_data());
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("raw and encoded") {
    b.clear_packed_samples();
    RawSamplesToProto(Some(), &b);
    EncodeBlock(Some(), b.mutable_data());
    CHECK(DecodeProtoBlock(b, &out).code() == absl::StatusCode::kDataLoss);
  }
  CHECK(out.size() == 1);
}

TEST_CASE("search series labels from entries or messages") {
  pb::SearchSeries msg;
  auto* l = msg.add_labels();
  l->set_name("job");
  l->set_value("node");
  l = msg.add_labels();
  l->set_name("__name__");
  l->set_value("up");
  auto from_msgs = LabelsOfSearchSeries(msg);
  REQUIRE(from_msgs.ok());

  // A SearchSeries carrying `refs` (in that order) as label entries, cut short by `cut` bytes.
  auto with_entries = [](std::vector<LabelRef> refs, size_t cut = 0) {
    std::string bytes;
    AppendLabelEntries(&bytes, refs);
    pb::SearchSeries s;
    s.set_label_entries(bytes.substr(0, bytes.size() - cut));
    return s;
  };
  auto from_entries = LabelsOfSearchSeries(with_entries({{"__name__", "up"}, {"job", "node"}}));
  REQUIRE(from_entries.ok());
  CHECK(*from_entries == *from_msgs);

  // Out of order, they are sorted (as Label messages are); bad names, empty values
  // and truncated bytes are errors.
  auto resorted = LabelsOfSearchSeries(with_entries({{"job", "node"}, {"__name__", "up"}}));
  REQUIRE(resorted.ok());
  CHECK(*resorted == *from_msgs);
  CHECK_FALSE(LabelsOfSearchSeries(with_entries({{"__name__", "up"}, {"job", ""}})).ok());
  CHECK_FALSE(LabelsOfSearchSeries(with_entries({{"bad-name", "x"}})).ok());
  CHECK_FALSE(LabelsOfSearchSeries(with_entries({{"__name__", "up"}, {"job", "node"}}, 2)).ok());
}
