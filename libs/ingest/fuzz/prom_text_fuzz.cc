// libFuzzer target for the prom_text parser (clang only; see docs/format/ingest.md, "Fuzzing").
//
//   ninja -C build-ingest-fuzz prom_text_fuzz
//   build-ingest-fuzz/bin/prom_text_fuzz -max_total_time=600 libs/ingest/fuzz/corpus/prom_text
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
  if (!strata::ingest::FuzzOne(strata::ingest::FuzzTarget::kPromText, input)) std::abort();
  return 0;
}
