#include "libs/ingest/remote_write.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "libs/ingest/remote_write_encoder.h"
#include "libs/ingest/test_sink.h"

namespace strata::ingest {
namespace {

// What Prometheus 2.42 sends for a node_exporter scrape: sorted labels, one sample per
// series, a stale marker for a series that disappeared.
std::vector<WriteRequestSeries> NodeExporterScrape() {
  return {
      {{{"__name__", "node_cpu_seconds_total"},
        {"cpu", "0"},
        {"instance", "web-1:9100"},
        {"job", "node"},
        {"mode", "idle"}},
       {{1690000000123, 81234.56}}},
      {{{"__name__", "node_load1"}, {"instance", "web-1:9100"}, {"job", "node"}},
       {{1690000000123, 0.42}}},
      {{{"__name__", "node_filesystem_avail_bytes"},
        {"device", "/dev/sda1"},
        {"instance", "web-1:9100"},
        {"job", "node"}},
       {{1690000000123, StaleNaN()}}},
      {{{"__name__", "up"}, {"instance", "web-1:9100"}, {"job", "node"}}, {{1690000000123, 1}}},
  };
}

TEST_CASE("remote_write: a Prometheus-like body round-trips") {
  auto series = NodeExporterScrape();
  std::string body = EncodeWriteRequest(series);
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseRemoteWrite(body, {}, sink, &result).ok());
  CHECK(result.rows == 4);
  CHECK(result.samples == 4);
  CHECK(result.rejected_lines == 0);
  REQUIRE(sink.rows.size() == 4);
  CHECK(sink.rows[0].labels == "__name__=node_cpu_seconds_total,cpu=0,instance=web-1:9100,job=node,mode=idle");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{1690000000123, 81234.56}});
  CHECK(sink.rows[1].labels == "__name__=node_load1,instance=web-1:9100,job=node");
  REQUIRE(sink.rows[2].samples.size() == 1);
  CHECK(IsStaleNaN(sink.rows[2].samples[0].v));  // bit pattern kept
  CHECK(sink.rows[3].samples == std::vector<Sample>{{1690000000123, 1}});
}

TEST_CASE("remote_write: many samples per series, zero and negative values and times") {
  std::vector<WriteRequestSeries> series = {
      {{{"__name__", "x"}}, {{0, 0}, {-5, -1.5}, {1, std::bit_cast<double>(kNormalNaNBits)}}}};
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseRemoteWriteProto(EncodeWriteRequestProto(series), sink, &result).ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].samples == series[0].samples);
}

TEST_CASE("remote_write: unknown fields of every wire type are skipped") {
  // Label{name="a", 7: varint 300, value="b", 9: fixed32, 10: fixed64, 11: group{12: varint}}
  std::string label = std::string("\x0a\x01" "a", 3) + "\x38\xac\x02" + "\x12\x01" "b" +
                      std::string("\x4d\x01\x02\x03\x04", 5) +
                      std::string("\x51\x01\x02\x03\x04\x05\x06\x07\x08", 9) +
                      std::string("\x5b\x60\x01\x5c", 4);
  std::string sample = std::string("\x09", 1) + std::string(8, '\0') + "\x10\x02";
  std::string ts = "\x0a" + std::string(1, static_cast<char>(label.size())) + label + "\x12" +
                   std::string(1, static_cast<char>(sample.size())) + sample +
                   std::string("\x2a\x03xyz", 5);  // field 5 bytes
  std::string req = "\x0a" + std::string(1, static_cast<char>(ts.size())) + ts +
                    std::string("\x1a\x02\x08\x01", 4) +  // metadata entry
                    std::string("\x10\x05", 2);           // field 2 varint
  TestSink sink;
  ParseResult result;
  absl::Status st = ParseRemoteWriteProto(req, sink, &result);
  REQUIRE(st.ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "a=b");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{2, 0}});
  CHECK(result.skipped_metadata == 1);
}

// Labels and samples have a fast path for the form clients write (name before
// value, short strings; value before timestamp); every other valid form must
// decode to the same row, and a near miss must still be an error.
TEST_CASE("remote_write: fields in any order and long strings decode like the common form") {
  auto len = [](size_t n) {
    std::string v;
    for (; n >= 0x80; n >>= 7) v += static_cast<char>((n & 0x7f) | 0x80);
    return v + static_cast<char>(n);
  };
  auto framed = [&](char tag, const std::string& body) { return std::string(1, tag) + len(body.size()) + body; };
  const std::string long_value(300, 'v'), long_name = "n" + std::string(129, 'x');
  std::string value_bits(8, '\0');
  const double v = 2.5;
  std::memcpy(value_bits.data(), &v, 8);
  std::string labels = framed('\x0a', framed('\x12', "b") + framed('\x0a', "a")) +           // value, then name
                       framed('\x0a', framed('\x0a', "c") + framed('\x12', long_value)) +    // 2-byte length
                       framed('\x0a', framed('\x0a', long_name) + framed('\x12', "w")) +     // long name
                       framed('\x0a', framed('\x0a', "e") + framed('\x12', ""));             // empty value
  std::string samples = framed('\x12', std::string("\x10\x07", 2) + "\x09" + value_bits) +   // timestamp first
                        framed('\x12', "\x09" + value_bits + std::string("\x10\x08\x18\x05", 4));  // extra field
  std::string req = framed('\x0a', labels + samples);
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseRemoteWriteProto(req, sink, &result).ok());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "a=b,c=" + long_value + "," + long_name + "=w,e=");
  CHECK(sink.rows[0].samples == std::vector<Sample>{{7, 2.5}, {8, 2.5}});

  // The fast path's shape with a value length one past the end is malformed.
  std::string bad = framed('\x0a', framed('\x0a', std::string("\x0a\x01" "a" "\x12\x02" "b", 6)) + samples);
  TestSink none;
  ParseResult r2;
  absl::Status st = ParseRemoteWriteProto(bad, none, &r2);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("timeseries[0].labels[0]") != std::string::npos);
  CHECK(none.rows.empty());
}

TEST_CASE("remote_write: histograms and exemplars are counted, not stored") {
  // TimeSeries{labels{__name__=h}, histograms{...}, exemplars{...}}: no float samples.
  std::string label = std::string("\x0a\x08__name__\x12\x01h", 13);
  std::string ts = "\x0a" + std::string(1, static_cast<char>(label.size())) + label +
                   std::string("\x22\x02\x08\x01", 4) + std::string("\x1a\x00", 2);
  std::string req = "\x0a" + std::string(1, static_cast<char>(ts.size())) + ts;
  TestSink sink;
  ParseResult result;
  REQUIRE(ParseRemoteWriteProto(req, sink, &result).ok());
  CHECK(sink.rows.empty());
  CHECK(result.unsupported_histograms == 1);
  CHECK(result.skipped_exemplars == 1);
}

// Past max_buffered_entries the decoder checks the whole message first and then
// delivers row by row: same rows, same counts, and still nothing for a bad message.
TEST_CASE("remote_write: messages too big to hold decode the same, in two passes") {
  auto series = NodeExporterScrape();
  std::string good = EncodeWriteRequestProto(series);
  RemoteWriteOptions small;
  small.max_buffered_entries = 5;  // the first series alone has 6 entries
  TestSink held, streamed;
  ParseResult r1, r2;
  REQUIRE(ParseRemoteWriteProto(good, held, &r1).ok());
  REQUIRE(ParseRemoteWriteProto(good, streamed, &r2, small).ok());
  CHECK(r2.rows == r1.rows);
  CHECK(r2.samples == r1.samples);
  REQUIRE(streamed.rows.size() == held.rows.size());
  for (size_t i = 0; i < held.rows.size(); ++i) {
    CHECK(streamed.rows[i].labels == held.rows[i].labels);
    CHECK(streamed.rows[i].samples.size() == held.rows[i].samples.size());
  }
  TestSink none;
  ParseResult r3;
  absl::Status st = ParseRemoteWriteProto(good.substr(0, good.size() - 3), none, &r3, small);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(none.rows.empty());
  CHECK(r3.rows == 0);
}

TEST_CASE("remote_write: malformed messages name the place and deliver nothing") {
  auto good = EncodeWriteRequestProto(NodeExporterScrape());
  TestSink sink;
  ParseResult result;

  // Truncating the body cuts the last timeseries.
  absl::Status st = ParseRemoteWriteProto(good.substr(0, good.size() - 3), sink, &result);
  REQUIRE(!st.ok());
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("timeseries[3]: length") != std::string::npos);
  CHECK(sink.rows.empty());

  // A sample value sent as a varint.
  std::string bad_sample = std::string("\x0a\x04\x12\x02\x08\x01", 6);
  st = ParseRemoteWriteProto(bad_sample, sink, &result);
  CHECK(std::string(st.message()) ==
        "malformed remote_write request: timeseries[0].samples[0]: field 1 (value) has wire "
        "type varint, want fixed64 at offset 5");

  st = ParseRemoteWriteProto(std::string("\x07", 1), sink, &result);
  CHECK(std::string(st.message()) ==
        "malformed remote_write request: invalid field number 0 at offset 0");
  st = ParseRemoteWriteProto(std::string("\x16", 1), sink, &result);
  CHECK(std::string(st.message()) ==
        "malformed remote_write request: field 2 has invalid wire type 6 at offset 1");
  st = ParseRemoteWriteProto(std::string("\x13\x08\x01", 3), sink, &result);  // open group
  CHECK(std::string(st.message()).find("unterminated group 2") != std::string::npos);
  st = ParseRemoteWriteProto(std::string("\x80\x80\x80", 3), sink, &result);
  CHECK(std::string(st.message()).find("truncated varint") != std::string::npos);
  CHECK(sink.rows.empty());
  CHECK(result.rows == 0);
}

TEST_CASE("remote_write: snappy errors and the size limit") {
  std::string body = EncodeWriteRequest(NodeExporterScrape());
  TestSink sink;
  ParseResult result;
  RemoteWriteOptions small;
  small.max_decoded_bytes = 100;
  absl::Status st = ParseRemoteWrite(body, small, sink, &result);
  CHECK(st.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(st.message()).find("more than the limit of 100") != std::string::npos);

  // A length header claiming 4 GiB is refused before allocating.
  std::string huge = std::string("\xff\xff\xff\xff\x0f", 5) + "junk";
  st = ParseRemoteWrite(huge, {}, sink, &result);
  CHECK(st.code() == absl::StatusCode::kResourceExhausted);

  std::string corrupt = body;
  corrupt.resize(corrupt.size() / 2);
  st = ParseRemoteWrite(corrupt, {}, sink, &result);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()) == "malformed snappy block: corrupt data");
  CHECK(ParseRemoteWrite("", {}, sink, &result).code() == absl::StatusCode::kInvalidArgument);
  CHECK(sink.rows.empty());
}

// The decoder's vectors and the snappy buffer are kept per thread between calls; a
// sink that parses another body from inside OnRow must not overwrite the rows it is
// being handed.
TEST_CASE("remote_write: a sink may parse another body while rows are delivered") {
  auto outer_series = NodeExporterScrape();
  // Larger than the outer body, nested at its first row: shared vectors or a shared
  // buffer would overwrite the rows still to be delivered.
  std::vector<WriteRequestSeries> inner_series;
  for (int i = 0; i < 20; ++i) {
    inner_series.push_back({{{"__name__", "inner"}, {"k", std::to_string(i) + std::string(40, 'x')}}, {{5, 6.0}}});
  }
  const std::string outer = EncodeWriteRequest(outer_series);
  const std::string inner = EncodeWriteRequest(inner_series);
  struct NestingSink : RowSink {
    const std::string* inner = nullptr;
    TestSink seen, nested;
    void OnRow(const RowView& row) override {
      ParseResult r;
      if (seen.rows.empty()) REQUIRE(ParseRemoteWrite(*inner, {}, nested, &r).ok());
      seen.OnRow(row);
    }
  } sink;
  sink.inner = &inner;
  ParseResult result;
  REQUIRE(ParseRemoteWrite(outer, {}, sink, &result).ok());
  TestSink plain;
  ParseResult r2;
  REQUIRE(ParseRemoteWrite(outer, {}, plain, &r2).ok());
  REQUIRE(sink.seen.rows.size() == plain.rows.size());
  for (size_t i = 0; i < plain.rows.size(); ++i) {
    CHECK(sink.seen.rows[i].labels == plain.rows[i].labels);
    CHECK(sink.seen.rows[i].samples == plain.rows[i].samples);
  }
  REQUIRE(sink.nested.rows.size() == 20);
  CHECK(sink.nested.rows[19].labels == "__name__=inner,k=19" + std::string(40, 'x'));
}

}  // namespace
}  // namespace strata::ingest
