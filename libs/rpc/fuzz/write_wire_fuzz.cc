// libFuzzer target for the in-place WriteRequest reader (libs/rpc/write_wire.h), which
// reads every Write a storage node receives. Built only with clang (tools/run_fuzz.sh).
//
// Whatever decodes must survive a round trip: re-encoding each row from its label
// entries (or, for a reference row, its series id) and samples and decoding that
// gives the same tenants, label bytes, series ids and samples (bit for bit), and
// LabelRefsOf must not crash on any row's labels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "libs/rpc/write_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  strata::DecodedWrite d;
  if (!strata::DecodeWriteRequest(in, &d).ok()) {
    if (!d.rows.empty() && d.rows.size() > size) std::abort();  // never more rows than bytes
    return 0;
  }
  std::string again;
  std::vector<strata::LabelRef> refs;
  for (const strata::DecodedRow& row : d.rows) {
    refs.clear();
    (void)strata::LabelRefsOf(row.labels, &refs);
    if (row.has_series_id && row.labels.empty()) {  // a reference row
      strata::AppendRefEntry(&again, row.tenant, row.series_id, d.SamplesOf(row));
    } else {
      strata::AppendSeriesEntry(&again, row.tenant, row.labels, d.SamplesOf(row));
    }
  }
  strata::DecodedWrite back;
  if (!strata::DecodeWriteRequest(again, &back).ok()) std::abort();
  if (back.rows.size() != d.rows.size() || back.samples.size() != d.samples.size()) std::abort();
  for (size_t i = 0; i < d.rows.size(); ++i) {
    if (!(back.rows[i].tenant == d.rows[i].tenant) || back.rows[i].labels != d.rows[i].labels) std::abort();
    if (d.rows[i].has_series_id && d.rows[i].labels.empty() &&
        (!back.rows[i].has_series_id || back.rows[i].series_id != d.rows[i].series_id)) {
      std::abort();
    }
  }
  if (!d.samples.empty() &&
      std::memcmp(back.samples.data(), d.samples.data(), d.samples.size() * sizeof(strata::Sample)) != 0) {
    std::abort();
  }
  return 0;
}
