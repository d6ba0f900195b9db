// Prometheus remote_read wire format: decodes prometheus.ReadRequest and encodes
// the SAMPLES ReadResponse that strata-select answers on api/v1/read.
//
// Bodies travel as snappy *block* compressed protobuf (the codec lives in
// libs/ingest: SnappyDecompress / SnappyCompress). The protobuf is hand-decoded
// like remote_write (libs/ingest/remote_write.cc): only the fields below are read,
// unknown fields are skipped.
//
//   ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
//   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//                  repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
//   LabelMatcher { Type type = 1 (EQ=0, NEQ=1, RE=2, NRE=3); string name = 2; string value = 3; }
//   ReadResponse { repeated QueryResult results = 1; }
//   QueryResult  { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//
//   STRATA_ASSIGN_OR_RETURN(std::vector<ReadQuery> qs, DecodeReadRequest(proto));
//   ReadResponseEncoder enc;
//   for (auto& q : qs) { enc.BeginResult(); enc.AddSeries(labels, samples); }
//   std::string body = ingest::SnappyCompress(enc.Finish());
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/sample.h"

namespace strata {

// One query of a ReadRequest: matchers and the inclusive time range in ms.
struct ReadQuery {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  Matchers matchers;
};

// Decodes an uncompressed ReadRequest. InvalidArgument on malformed protobuf, an
// unknown matcher type or an invalid regular expression.
absl::StatusOr<std::vector<ReadQuery>> DecodeReadRequest(std::string_view proto);

// Encodes a ReadRequest (for tests and tools); the inverse of DecodeReadRequest.
std::string EncodeReadRequest(const std::vector<ReadQuery>& queries);

// Builds a SAMPLES ReadResponse: one BeginResult per query, in query order, then
// the series of that query.
class ReadResponseEncoder {
 public:
  // Starts the QueryResult of the next query.
  void BeginResult();
  // Adds one series to the current result. REQUIRES: BeginResult was called.
  void AddSeries(const Labels& labels, const std::vector<Sample>& samples);
  // The encoded ReadResponse; the encoder is empty afterwards.
  std::string Finish();

 private:
  void FlushResult();
  std::string out_;
  std::string result_;
  bool open_ = false;
};

// A decoded QueryResult, for tests and tools: series as (labels, samples).
using ReadResult = std::vector<std::pair<Labels, std::vector<Sample>>>;

// Decodes an uncompressed ReadResponse (SAMPLES). InvalidArgument when malformed.
absl::StatusOr<std::vector<ReadResult>> DecodeReadResponse(std::string_view proto);

}  // namespace strata
