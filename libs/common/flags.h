// Command-line flags for every Strata binary, on CLI11.
//
// Flags are GNU long names (`--data-dir=/x` or `--data-dir /x`); each one falls back
// to the environment variable STRATA_<NAME> (upper case, '-' -> '_'), so
// `STRATA_DATA_DIR=/x` works in a Kubernetes manifest. Command line wins.
//
//   CLI::App app{"strata-storage: ..."};
//   std::string data_dir = "data";
//   app.add_option("--data-dir", data_dir, "where data lives");
//   strata::AddCommonFlags(app, &common);
//   strata::AddEnvFallbacks(app);
//   CLI11_PARSE(app, argc, argv);
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace strata {

// Flags every service has.
struct CommonFlags {
  std::string log_level = "info";  // trace, debug, info, warn, error
  std::string log_format = "text";  // text or json
};

void AddCommonFlags(CLI::App& app, CommonFlags* flags);

// Gives every long-named option of `app` (and its subcommands) the environment
// fallback STRATA_<NAME>. Call after all options are added, before parsing.
void AddEnvFallbacks(CLI::App& app);

// "data-dir" -> "STRATA_DATA_DIR".
std::string EnvNameForFlag(const std::string& long_name);

}  // namespace strata
