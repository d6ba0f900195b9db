// libFuzzer target for the in-place SearchResponse reader (libs/rpc/search_wire.h),
// which reads every answer a select gets from a storage node. Built only with clang
// (tools/run_fuzz.sh).
//
// Whatever parses must point inside the input, and decoding its labels and blocks
// must not crash (errors are fine: the bytes are arbitrary). The SearchStream `end`
// reader gets the same bytes, whole and cut to their first bytes, and an `end` it
// reads must lie within them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "libs/rpc/search_wire.h"

namespace {

void Inside(std::string_view in, std::string_view v) {
  if (!v.empty() && (v.data() < in.data() || v.data() + v.size() > in.data() + in.size())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::string_view first : {in, in.substr(0, strata::kSearchEndPeekBytes), in.substr(0, 3)}) {
    absl::Status end;
    size_t end_bytes = 0;
    if (strata::ReadSearchEnd(first, &end, &end_bytes) == strata::SearchEndRead::kEnd && end_bytes > first.size()) {
      std::abort();
    }
  }
  std::vector<strata::SearchSeriesView> series;
  if (!strata::ParseSearchResponse(in, &series).ok()) return 0;
  std::vector<strata::Sample> samples;
  for (const strata::SearchSeriesView& s : series) {
    Inside(in, s.label_entries);
    for (const strata::LabelRef& l : s.labels) {
      Inside(in, l.name);
      Inside(in, l.value);
    }
    (void)strata::LabelsOfSeriesView(s);
    for (const strata::BlockView& b : s.blocks) {
      Inside(in, b.data);
      Inside(in, b.raw_samples);
      Inside(in, b.packed_samples);
      samples.clear();
      (void)strata::DecodeBlockView(b, INT64_MIN, INT64_MAX, &samples);
    }
  }
  return 0;
}
