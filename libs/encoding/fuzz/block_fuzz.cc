// libFuzzer target for the block decoder (built only with clang; see CMakeLists.txt).
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++
//   ninja -C build-fuzz block_fuzz
//   build-fuzz/bin/block_fuzz -max_total_time=60 CORPUS_DIR
//
// The first input byte picks a mode: even bytes decode the rest as a block with its
// checksum rewritten to match (so the fuzzer explores the payload decoders, not the
// checksum); odd bytes decode it unchanged. Decoded output must be sorted, and
// re-encoding it must decode to the same samples.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "libs/encoding/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
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
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].t <= out[i - 1].t) std::abort();
  }
  std::string again;
  strata::EncodeBlock(out, &again);
  std::vector<strata::Sample> back;
  if (!strata::DecodeBlock(again, &back).ok() || back != out) std::abort();
  return 0;
}
