// libFuzzer target for the influx parser (clang only; see docs/format/ingest.md, "Fuzzing").
//
//   ninja -C build-ingest-fuzz influx_fuzz
//   build-ingest-fuzz/bin/influx_fuzz -max_total_time=600 libs/ingest/fuzz/corpus/influx
//
// Aborts when the parser's counters disagree with the rows it delivered, or when a
// body it rejected delivered rows; ASan/UBSan catch memory and UB errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libs/ingest/fuzz/parse_all.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!strata::ingest::FuzzOne(strata::ingest::FuzzTarget::kInflux, input)) std::abort();
  return 0;
}
