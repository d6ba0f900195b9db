// Runs one parser chosen by name over `data` with options derived from the input, for
// the libFuzzer targets and the mutation test. Test-only.
//
//   bool ok = strata::ingest::FuzzOne(strata::ingest::FuzzTarget::kInflux, bytes);
//   // false = an invariant broke (counters disagree with delivered rows, ...)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libs/ingest/csv.h"
#include "libs/ingest/fuzz/checking_sink.h"
#include "libs/ingest/graphite.h"
#include "libs/ingest/influx.h"
#include "libs/ingest/json_lines.h"
#include "libs/ingest/opentsdb.h"
#include "libs/ingest/prom_text.h"
#include "libs/ingest/remote_write.h"
#include "libs/ingest/remote_write_encoder.h"

namespace strata::ingest {

enum class FuzzTarget {
  kRemoteWrite, kJsonLines, kCsv, kPromText, kInflux, kOpenTsdbHttp, kOpenTsdbTelnet, kGraphite
};

// What a run saw, summed over runs (for tests that check they are not vacuous).
struct FuzzStats {
  uint64_t rows = 0;      // rows delivered
  uint64_t rejected = 0;  // inputs with a non-OK status or a rejected line
};

inline bool FuzzOne(FuzzTarget target, std::string_view data, FuzzStats* stats = nullptr) {
  CheckingSink sink;
  ParseResult result;
  bool failed = false;
  switch (target) {
    case FuzzTarget::kRemoteWrite: {
      // First byte: 0 = raw protobuf, 1 = snappy block, 2 = raw protobuf compressed
      // here (exercises decompression of valid blocks).
      if (data.empty()) return true;
      char mode = static_cast<char>(data[0] % 3);
      std::string_view rest = data.substr(1);
      RemoteWriteOptions opts;
      opts.max_decoded_bytes = 1 << 20;
      if (mode == 0) {
        failed = !ParseRemoteWriteProto(rest, sink, &result).ok();
      } else if (mode == 1) {
        failed = !ParseRemoteWrite(rest, opts, sink, &result).ok();
      } else {
        failed = !ParseRemoteWrite(SnappyCompress(rest), opts, sink, &result).ok();
      }
      break;
    }
    case FuzzTarget::kJsonLines:
      failed = !ParseJsonLines(data, {}, sink, &result).ok();
      break;
    case FuzzTarget::kCsv: {
      // First line: the format spec (a fixed one when it does not parse).
      size_t nl = data.find('\n');
      std::string_view spec = data.substr(0, nl);
      std::string_view body = nl == std::string_view::npos ? "" : data.substr(nl + 1);
      auto format = CsvFormat::Parse(spec);
      if (!format.ok()) format = CsvFormat::Parse("1:label:a,2:metric:m,3:time:unix_s");
      failed = !ParseCsv(body, *format, {.now_ms = 1}, sink, &result).ok();
      break;
    }
    case FuzzTarget::kPromText: {
      PromTextOptions opts{.now_ms = 1};
      if (!data.empty() && (data[0] & 1)) opts.extra_labels = {{"job", "j"}};
      failed = !ParsePromText(data, opts, sink, &result).ok();
      break;
    }
    case FuzzTarget::kInflux: {
      InfluxOptions opts{.db = "db", .now_ms = 1};
      if (!data.empty()) {
        opts.precision = static_cast<InfluxPrecision>(static_cast<uint8_t>(data[0]) % 6);
        opts.skip_single_field = data[0] & 8;
      }
      failed = !ParseInflux(data, opts, sink, &result).ok();
      break;
    }
    case FuzzTarget::kOpenTsdbHttp:
      failed = !ParseOpenTsdbHttp(data, {.now_ms = 1}, sink, &result).ok();
      break;
    case FuzzTarget::kOpenTsdbTelnet:
      failed = !ParseOpenTsdbTelnet(data, {.now_ms = 1}, sink, &result).ok();
      break;
    case FuzzTarget::kGraphite: {
      GraphiteOptions opts{.now_ms = 1, .prom_compatible_names = data.empty() || !(data[0] & 1)};
      failed = !ParseGraphite(data, opts, sink, &result).ok();
      break;
    }
  }
  if (stats != nullptr) {
    stats->rows += sink.rows;
    stats->rejected += (failed || result.rejected_lines > 0) ? 1 : 0;
  }
  return sink.Verify(result, failed);
}

}  // namespace strata::ingest
