#include "libs/http/http_router.h"

#include <catch2/catch.hpp>

using namespace strata::http;

namespace {
HttpHandler Named(std::string* out, std::string name) {
  return [out, name](const HttpRequest&, HttpResponse&) { *out = name; };
}
}  // namespace

TEST_CASE("Router prefers exact routes, then the longest prefix") {
  std::string hit;
  HttpRouter r;
  r.Handle("/api/v1/query", Named(&hit, "query"));
  r.HandlePrefix("/insert/", Named(&hit, "insert"));
  r.HandlePrefix("/insert/0/special/", Named(&hit, "special"));
  r.HandlePrefix("/", Named(&hit, "root"));
  r.Handle("/insert/exact", Named(&hit, "exact"));

  std::string rem;
  const HttpRouter::Route* route = r.Match("/api/v1/query", &rem);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/api/v1/query");
  CHECK(rem == "/api/v1/query");

  route = r.Match("/insert/42:7/api/v1/write", &rem);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/insert/");
  CHECK(rem == "42:7/api/v1/write");
  HttpResponse resp;
  route->handler(HttpRequest{}, resp);
  CHECK(hit == "insert");

  route = r.Match("/insert/0/special/x", &rem);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/insert/0/special/");
  CHECK(rem == "x");

  route = r.Match("/insert/exact", &rem);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/insert/exact");

  route = r.Match("/other", &rem);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/");
  CHECK(rem == "other");
}

TEST_CASE("Router without a catch-all reports no match") {
  HttpRouter r;
  r.Handle("/a", [](const HttpRequest&, HttpResponse&) {});
  r.HandlePrefix("/b/", [](const HttpRequest&, HttpResponse&) {});
  std::string rem;
  CHECK(r.Match("/a/", &rem) == nullptr);
  CHECK(r.Match("/b", &rem) == nullptr);
  CHECK(r.Match("/c", &rem) == nullptr);
  CHECK(r.Match("/b/", &rem) != nullptr);
  CHECK(rem.empty());
}
