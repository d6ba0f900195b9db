// libFuzzer target for the block decoder (built only with clang; see CMakeLists.txt).
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++
//   ninja -C build-fuzz block_fuzz
//   build-fuzz/bin/block_fuzz -max_total_time=60 CORPUS_DIR
//
// The first input byte picks a mode. With bit 1 set, the next two bytes are a sample
// count (little-endian) and the rest packed samples (packed_samples.h). Otherwise
// even bytes decode the rest as a block with its checksum rewritten to match (so the
// fuzzer explores the payload decoders, not the checksum); odd bytes decode it
// unchanged. Decoded output must be sorted, and re-encoding it must decode to the
// same samples.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "libs/encoding/block.h"
#include "libs/encoding/packed_samples.h"

namespace {

void CheckAscending(const std::vector<strata::Sample>& out) {
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].t <= out[i - 1].t) std::abort();
  }
}

int FuzzPacked(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const size_t count = data[1] | (size_t{data[2]} << 8);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 3, size - 3);
  std::vector<strata::Sample> out;
  absl::Status st = strata::DecodePackedSamples(bytes, count, strata::kMinTime, strata::kMaxTime, &out);
  if (!st.ok()) {
    if (!out.empty()) std::abort();
    return 0;
  }
  if (out.size() != count) std::abort();
  CheckAscending(out);
  std::string again;
  strata::AppendPackedSamples(out, &again);
  std::vector<strata::Sample> back;
  if (!strata::DecodePackedSamples(again, out.size(), strata::kMinTime, strata::kMaxTime, &back).ok() || back != out) {
    std::abort();
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 2) != 0) return FuzzPacked(data, size);
  std::string block(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0 && block.size() >= 4) {
    size_t body = block.size() - 4;
    auto sum = static_cast<uint32_t>(XXH3_64bits(block.data(), body));
    for (int i = 0; i < 4; ++i) block[body + i] = static_cast<char>(sum >> (8 * i));
  }
  std::vector<strata::Sample> out;
  absl::Status st = strata::DecodeBlock(block, &out);
  (void)strata::PeekBlockInfo(block);
  if (!st.ok()) {
    if (!out.empty()) std::abort();
    return 0;
  }
  CheckAscending(out);
  std::string again;
  strata::EncodeBlock(out, &again);
  std::vector<strata::Sample> back;
  if (!strata::DecodeBlock(again, &back).ok() || back != out) std::abort();
  return 0;
}
