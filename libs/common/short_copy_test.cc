#include "libs/common/short_copy.h"

#include <string>

#include <catch2/catch.hpp>

TEST_CASE("CopyShort copies every length exactly and writes nothing around it") {
  std::string src;
  for (int i = 0; i < 80; ++i) src.push_back(static_cast<char>('a' + i % 26));
  for (size_t n = 0; n <= 72; ++n) {
    for (size_t at : {size_t{0}, size_t{3}}) {
      INFO("n=" << n << " at=" << at);
      std::string dst(100, '#');
      char* end = strata::CopyShort(dst.data() + 8 + at, src.data() + at, n);
      CHECK(end == dst.data() + 8 + at + n);
      CHECK(dst.substr(8 + at, n) == src.substr(at, n));
      CHECK(dst.substr(0, 8 + at) == std::string(8 + at, '#'));
      CHECK(dst.substr(8 + at + n) == std::string(100 - 8 - at - n, '#'));
    }
  }
  // A null source of length 0 (an empty string_view's data()).
  char one = '#';
  CHECK(strata::CopyShort(&one, nullptr, 0) == &one);
  CHECK(one == '#');
}
