#include "libs/common/flags.h"

#include <cctype>

namespace strata {

void AddCommonFlags(CLI::App& app, CommonFlags* flags) {
  app.add_option("--log-level", flags->log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--log-format", flags->log_format, "text or json")->capture_default_str();
}

std::string EnvNameForFlag(const std::string& long_name) {
  std::string env = "STRATA_";
  for (char c : long_name) {
    env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return env;
}

void AddEnvFallbacks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const auto& names = opt->get_lnames();
    if (names.empty() || names[0] == "help") continue;
    if (opt->get_envname().empty()) opt->envname(EnvNameForFlag(names[0]));
  }
  for (CLI::App* sub : app.get_subcommands({})) AddEnvFallbacks(*sub);
}

}  // namespace strata
