// A small prometheus.WriteRequest encoder: for tests, fuzz seeds and the load
// generator (tools/loadgen). Produces what Prometheus sends: labels in the order given
// (Prometheus sends them sorted), float samples, optionally snappy-compressed.
//
//   std::vector<strata::ingest::WriteRequestSeries> series = {
//       {{{"__name__", "up"}, {"job", "node"}}, {{1690000000000, 1}}}};
//   std::string body = strata::ingest::EncodeWriteRequest(series);  // snappy'd
//   // POST body with Content-Encoding: snappy, X-Prometheus-Remote-Write-Version: 0.1.0
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libs/model/labels.h"
#include "libs/model/sample.h"

namespace strata::ingest {

struct WriteRequestSeries {
  std::vector<Label> labels;
  std::vector<Sample> samples;
};

// The protobuf encoding of WriteRequest{timeseries: series} (no compression).
std::string EncodeWriteRequestProto(std::span<const WriteRequestSeries> series);

// EncodeWriteRequestProto() compressed with snappy (block format): a remote_write body.
std::string EncodeWriteRequest(std::span<const WriteRequestSeries> series);

// Snappy block compression of `raw`.
std::string SnappyCompress(std::string_view raw);

}  // namespace strata::ingest
