#include "libs/http/gzip.h"

#include <catch2/catch.hpp>

using namespace strata::http;

TEST_CASE("AcceptsGzip parses Accept-Encoding") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("deflate, gzip;q=0.5, br"));
  CHECK(AcceptsGzip("GZIP"));
  CHECK(AcceptsGzip("*"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("deflate, br"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("x-gzip-not"));
}

TEST_CASE("Gzip round-trips and rejects corrupt input") {
  std::string data;
  for (int i = 0; i < 10000; ++i) data += "sample line " + std::to_string(i % 17) + "\n";
  auto gz = GzipCompress(data);
  REQUIRE(gz.ok());
  CHECK(gz->size() < data.size() / 4);
  CHECK(static_cast<unsigned char>((*gz)[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>((*gz)[1]) == 0x8b);
  CHECK(*GzipDecompress(*gz) == data);
  CHECK(*GzipDecompress(*GzipCompress("")) == "");

  CHECK(GzipDecompress("not gzip at all").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(GzipDecompress(gz->substr(0, gz->size() / 2)).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(GzipDecompress(*gz, 1000).status().code() == absl::StatusCode::kResourceExhausted);
}
