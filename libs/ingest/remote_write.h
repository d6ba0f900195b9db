// Prometheus remote_write 1.0 decoder: snappy block format + prometheus.WriteRequest.
//
// The body Prometheus (and vmagent) POST to /api/v1/write is a snappy *block* (not the
// framed stream format) holding a protobuf WriteRequest. The decoder is hand-written
// over the wire format (no generated code, no allocation per sample): each TimeSeries
// becomes one row with its labels and float samples.
//
//   strata::ingest::RemoteWriteOptions opts;   // opts.max_decoded_bytes = 64 << 20;
//   strata::ingest::ParseResult result;
//   absl::Status st = strata::ingest::ParseRemoteWrite(body, opts, sink, &result);
//
// Native histograms and exemplars are not stored: they are counted in
// result.unsupported_histograms / skipped_exemplars. Metadata entries are counted in
// result.skipped_metadata. Format details: docs/format/ingest.md.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/ingest/row_sink.h"

namespace strata::ingest {

struct RemoteWriteOptions {
  // Largest decompressed WriteRequest accepted; checked against snappy's length
  // header before anything is allocated.
  size_t max_decoded_bytes = 64 << 20;
  // Labels + samples held as views while a message decodes (32 / 16 bytes each),
  // so that rows are delivered only after the whole message checked out. A message
  // with more is decoded twice instead (check, then deliver): memory stays bounded
  // whatever the body.
  size_t max_buffered_entries = 1 << 20;
};

// Decompresses `body` (snappy block format) and decodes it as a WriteRequest.
// The whole message is validated before the first OnRow call: on a non-OK status
// (InvalidArgument naming the offset and field; ResourceExhausted when the decoded
// size exceeds opts.max_decoded_bytes) the sink has received nothing.
absl::Status ParseRemoteWrite(std::string_view body, const RemoteWriteOptions& opts,
                              RowSink& sink, ParseResult* result);

// Same as ParseRemoteWrite on an already decompressed protobuf WriteRequest.
absl::Status ParseRemoteWriteProto(std::string_view proto, RowSink& sink,
                                   ParseResult* result, const RemoteWriteOptions& opts = {});

// Snappy block decompression with a size limit (also used by remote_read).
// ResourceExhausted when the length header exceeds `max_decoded_bytes`,
// InvalidArgument when the block is corrupt.
absl::StatusOr<std::string> SnappyDecompress(std::string_view compressed,
                                             size_t max_decoded_bytes);

}  // namespace strata::ingest
