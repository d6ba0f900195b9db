#include "libs/ingest/text_number.h"

#include <bit>
#include <cmath>

#include <catch2/catch.hpp>

#include "libs/model/sample.h"

namespace strata::ingest {
namespace {

TEST_CASE("text_number: floats") {
  double v = 0;
  CHECK((ParseFloatText("1.5", &v) && v == 1.5));
  CHECK((ParseFloatText("+2e3", &v) && v == 2000));
  CHECK((ParseFloatText("-.5", &v) && v == -0.5));
  CHECK((ParseFloatText("+Inf", &v) && v == INFINITY));
  CHECK((ParseFloatText("-inf", &v) && v == -INFINITY));
  CHECK((ParseFloatText("Infinity", &v) && v == INFINITY));
  CHECK((ParseFloatText("NaN", &v) && std::bit_cast<uint64_t>(v) == kNormalNaNBits));
  CHECK((ParseFloatText("1e999", &v) && v == INFINITY));
  for (const char* bad : {"", "+", "-", "abc", "1.5x", "0x10", "++1", "+-1", "nan(1)", " 1", "1 "}) {
    INFO(bad);
    CHECK_FALSE(ParseFloatText(bad, &v));
  }
}

TEST_CASE("text_number: integers and millis") {
  int64_t i = 0;
  uint64_t u = 0;
  CHECK((ParseInt64Text("-42", &i) && i == -42));
  CHECK((ParseInt64Text("+42", &i) && i == 42));
  CHECK_FALSE(ParseInt64Text("9223372036854775808", &i));
  CHECK_FALSE(ParseInt64Text("1.0", &i));
  CHECK((ParseUint64Text("18446744073709551615", &u) && u == UINT64_MAX));
  CHECK_FALSE(ParseUint64Text("-1", &u));
  CHECK((FloatToMillis(1690000000.123, 1000, &i) && i == 1690000000123));
  CHECK_FALSE(FloatToMillis(1e300, 1000, &i));
  CHECK_FALSE(FloatToMillis(NAN, 1, &i));
  CHECK((MulOverflow(3, 4, &i) && i == 12));
  CHECK_FALSE(MulOverflow(INT64_MAX / 2, 3, &i));
}

}  // namespace
}  // namespace strata::ingest
