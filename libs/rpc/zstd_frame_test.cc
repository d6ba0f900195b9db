#include "libs/rpc/zstd_frame.h"

#include <zstd.h>

#include <catch2/catch.hpp>

using namespace strata;

TEST_CASE("zstd frames round-trip and shrink repetitive bodies") {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "node_cpu_seconds_total{cpu=\"" + std::to_string(i % 8) + "\"}";
  std::string packed;
  ZstdCompress(body, 1, &packed);
  CHECK(packed.size() * 5 < body.size());
  auto back = ZstdDecompress(packed, body.size());
  REQUIRE(back.ok());
  CHECK(*back == body);
  ZstdCompress("", 1, &packed);
  auto empty = ZstdDecompress(packed, 10);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("zstd frames inflate into a reused buffer, replacing what it held") {
  std::string big(50'000, 'a'), small = "short body", packed, out;
  ZstdCompress(big, 1, &packed);
  REQUIRE(ZstdDecompress(packed, 1 << 20, &out).ok());
  CHECK(out == big);
  ZstdCompress(small, 1, &packed);
  REQUIRE(ZstdDecompress(packed, 1 << 20, &out).ok());
  CHECK(out == small);
  CHECK(out.capacity() >= big.size());  // kept for the next call
  CHECK(ZstdDecompress("not zstd at all", 1 << 20, &out).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("bad zstd bodies are InvalidArgument naming the problem") {
  std::string body(100'000, 'x'), packed;
  ZstdCompress(body, 1, &packed);
  auto too_big = ZstdDecompress(packed, 99'999);
  CHECK(too_big.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(too_big.status().message()).find("above the limit") != std::string::npos);
  CHECK(ZstdDecompress("not zstd at all", 1 << 20).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ZstdDecompress(packed.substr(0, packed.size() - 4), 1 << 20).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ZstdDecompress(packed + packed, 1 << 20).status().code() == absl::StatusCode::kInvalidArgument);
  // A streamed frame without a content size is refused before any allocation.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  std::string unsized(ZSTD_compressBound(body.size()), '\0');
  unsized.resize(ZSTD_compress2(c, unsized.data(), unsized.size(), body.data(), body.size()));
  ZSTD_freeCCtx(c);
  auto st = ZstdDecompress(unsized, 1 << 20);
  CHECK(std::string(st.status().message()).find("content size") != std::string::npos);
}
