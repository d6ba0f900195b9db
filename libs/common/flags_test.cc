#include "libs/common/flags.h"

#include <cstdlib>

#include <catch2/catch.hpp>

TEST_CASE("EnvNameForFlag") {
  CHECK(strata::EnvNameForFlag("data-dir") == "STRATA_DATA_DIR");
  CHECK(strata::EnvNameForFlag("grpc-listen") == "STRATA_GRPC_LISTEN");
}

TEST_CASE("environment fallback applies, command line wins") {
  setenv("STRATA_DATA_DIR", "/from/env", 1);
  setenv("STRATA_RETENTION", "1d", 1);
  CLI::App app;
  std::string data_dir = "data", retention = "31d";
  app.add_option("--data-dir", data_dir);
  app.add_option("--retention", retention);
  strata::AddEnvFallbacks(app);
  const char* argv[] = {"x", "--retention=2d"};
  app.parse(2, const_cast<char**>(argv));
  CHECK(data_dir == "/from/env");
  CHECK(retention == "2d");
  unsetenv("STRATA_DATA_DIR");
  unsetenv("STRATA_RETENTION");
}
