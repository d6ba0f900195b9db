#include "libs/rpc/search_wire.h"

#include <random>

#include <catch2/catch.hpp>

#include "libs/encoding/block.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/write_wire.h"

using namespace strata;

namespace {

// A SearchResponse with every form a node sends: labels as entries or as messages,
// blocks encoded, raw and packed, several blocks per series.
pb::SearchResponse Answer(std::mt19937_64& rng, int series) {
  pb::SearchResponse r;
  for (int i = 0; i < series; ++i) {
    pb::SearchSeries* s = r.add_series();
    const std::string value = "v" + std::to_string(i);
    const std::vector<LabelRef> labels = {{"__name__", "up"}, {"i", value}};
    if (rng() % 2) {
      AppendLabelEntries(s->mutable_label_entries(), labels);
    } else {
      for (const LabelRef& l : labels) {
        pb::Label* pl = s->add_labels();
        pl->set_name(std::string(l.name));
        pl->set_value(std::string(l.value));
      }
    }
    const int blocks = static_cast<int>(rng() % 4);
    int64_t t = 1000;
    for (int b = 0; b < blocks; ++b) {
      std::vector<Sample> samples;
      const int n = 1 + static_cast<int>(rng() % 50);
      for (int k = 0; k < n; ++k) samples.push_back({t += 1 + static_cast<int64_t>(rng() % 30'000), double(rng() % 1000) / 8});
      switch (rng() % 3) {
        case 0:
          RawSamplesToProto(samples, s->add_blocks());
          break;
        case 1:
          PackedSamplesToProto(samples, s->add_blocks());
          break;
        default: {
          pb::Block* pb = s->add_blocks();
          pb->set_min_time_ms(samples.front().t);
          pb->set_max_time_ms(samples.back().t);
          pb->set_samples(static_cast<uint32_t>(samples.size()));
          EncodeBlock(samples, pb->mutable_data());
        }
      }
    }
  }
  return r;
}

}  // namespace

TEST_CASE("ParseSearchResponse reads what protobuf writes: labels, block fields and samples alike") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    const pb::SearchResponse want = Answer(rng, 1 + round * 5);
    const std::string bytes = want.SerializeAsString();
    std::vector<SearchSeriesView> got;
    REQUIRE(ParseSearchResponse(bytes, &got).ok());
    REQUIRE(got.size() == size_t(want.series_size()));
    for (size_t i = 0; i < got.size(); ++i) {
      const pb::SearchSeries& w = want.series(static_cast<int>(i));
      CHECK(got[i].label_entries == w.label_entries());
      CHECK(LabelsOfSeriesView(got[i])->ToString() == LabelsOfSearchSeries(w)->ToString());
      REQUIRE(got[i].blocks.size() == size_t(w.blocks_size()));
      for (size_t b = 0; b < got[i].blocks.size(); ++b) {
        const pb::Block& wb = w.blocks(static_cast<int>(b));
        const BlockView& gb = got[i].blocks[b];
        CHECK(gb.min_time_ms == wb.min_time_ms());
        CHECK(gb.max_time_ms == wb.max_time_ms());
        CHECK(gb.samples == wb.samples());
        CHECK(gb.data == wb.data());
        CHECK(gb.raw_samples == wb.raw_samples());
        CHECK(gb.packed_samples == wb.packed_samples());
        // Views, not copies: they point into the message.
        for (std::string_view v : {gb.data, gb.raw_samples, gb.packed_samples}) {
          if (!v.empty()) CHECK((v.data() >= bytes.data() && v.data() + v.size() <= bytes.data() + bytes.size()));
        }
        std::vector<Sample> a, c;
        REQUIRE(DecodeBlockView(gb, 5000, 400'000, &a).ok());
        REQUIRE(DecodeProtoBlock(wb, 5000, 400'000, &c).ok());
        CHECK(a.size() == c.size());
      }
    }
  }
}

TEST_CASE("ParseSearchResponse skips unknown fields, takes the last of a repeated scalar, appends") {
  pb::SearchResponse r;
  pb::Block* b = r.add_series()->add_blocks();
  b->set_samples(3);
  std::string bytes = r.SerializeAsString();
  // An unknown varint field (15) in the response, then a second series whose block
  // says `samples` twice: protobuf keeps the last.
  bytes += std::string("\x78\x05", 2);
  pb::SearchResponse second;
  pb::Block* b2 = second.add_series()->add_blocks();
  b2->set_samples(4);
  std::string s2 = second.SerializeAsString();
  bytes += s2;
  pb::SearchResponse merged;
  REQUIRE(merged.ParseFromString(bytes));
  std::vector<SearchSeriesView> got = {SearchSeriesView{}};  // appended to
  REQUIRE(ParseSearchResponse(bytes, &got).ok());
  REQUIRE(got.size() == 3);
  CHECK(got[1].blocks.at(0).samples == 3);
  CHECK(got[2].blocks.at(0).samples == merged.series(1).blocks(0).samples());
}

TEST_CASE("ParseSearchResponse refuses what protobuf refuses: every truncation of an answer") {
  std::mt19937_64 rng(11);
  const std::string bytes = Answer(rng, 6).SerializeAsString();
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string cut = bytes.substr(0, n);
    pb::SearchResponse p;
    std::vector<SearchSeriesView> got;
    absl::Status s = ParseSearchResponse(cut, &got);
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    CHECK(s.ok() == p.ParseFromString(cut));
    if (!s.ok()) {
      CHECK(s.code() == absl::StatusCode::kDataLoss);
      CHECK(std::string(s.message()).find("at byte") != std::string::npos);
    }
  }
}

TEST_CASE("a block with two sample forms, or raw bytes that disagree with its count, is DataLoss") {
  BlockView b;
  b.samples = 1;
  b.packed_samples = "x";
  b.raw_samples = std::string_view("0123456789abcdef", 16);
  std::vector<Sample> out;
  CHECK(DecodeBlockView(b, INT64_MIN, INT64_MAX, &out).code() == absl::StatusCode::kDataLoss);
  b.packed_samples = {};
  b.samples = 2;
  CHECK(DecodeBlockView(b, INT64_MIN, INT64_MAX, &out).code() == absl::StatusCode::kDataLoss);
  b.samples = 1;
  CHECK(DecodeBlockView(b, INT64_MIN, INT64_MAX, &out).ok());
  CHECK(out.size() == 1);
}

namespace {

// `r` written again with the answer writers, field by field from its messages.
std::string Rewrite(const pb::SearchResponse& r) {
  std::string answer, body;
  for (const pb::SearchSeries& s : r.series()) {
    body.clear();
    std::vector<Label> labels;
    for (const pb::Label& l : s.labels()) labels.push_back({l.name(), l.value()});
    AppendLabelMessages(Labels::FromSortedUnchecked(std::move(labels)), &body);
    for (const pb::Block& b : s.blocks()) {
      const bool raw = !b.raw_samples().empty(), packed = !b.packed_samples().empty();
      AppendBlockField(b.min_time_ms(), b.max_time_ms(), b.samples(),
                       raw ? BlockPayload::kRawSamples : packed ? BlockPayload::kPackedSamples : BlockPayload::kData,
                       raw ? b.raw_samples() : packed ? b.packed_samples() : b.data(), &body);
    }
    AppendLabelEntriesField(s.label_entries(), &body);
    AppendSeriesField(body, &answer);
  }
  return answer;
}

}  // namespace

TEST_CASE("the answer writers write the bytes protobuf writes for the same answer") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    const pb::SearchResponse r = Answer(rng, static_cast<int>(rng() % 6));
    REQUIRE(Rewrite(r) == r.SerializeAsString());
  }
  // Zero fields are left out as protobuf leaves them out; negative times take ten bytes.
  pb::SearchResponse edge;
  pb::SearchSeries* s = edge.add_series();
  pb::Block* b = s->add_blocks();
  b->set_min_time_ms(-5);
  b->set_max_time_ms(0);
  b->set_samples(1);
  b->set_data(std::string(200, 'x'));  // a two-byte length
  s->add_blocks()->set_max_time_ms(int64_t{1} << 40);
  edge.add_series()->set_label_entries("e");
  REQUIRE(Rewrite(edge) == edge.SerializeAsString());
  std::vector<SearchSeriesView> views;
  REQUIRE(ParseSearchResponse(Rewrite(edge), &views).ok());
  REQUIRE(views.size() == 2);
  REQUIRE(views[0].blocks.size() == 2);
  CHECK(views[0].blocks[0].min_time_ms == -5);
  CHECK(views[0].blocks[0].data.size() == 200);
  CHECK(views[0].blocks[1].max_time_ms == int64_t{1} << 40);
  CHECK(views[1].label_entries == "e");
}
