#include "libs/common/logging.h"

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace strata {

absl::Status InitLogging(const std::string& service, const CommonFlags& flags) {
  spdlog::level::level_enum level = spdlog::level::from_str(flags.log_level);
  if (level == spdlog::level::off && flags.log_level != "off") {
    return absl::InvalidArgumentError(absl::StrCat("unknown --log-level \"", flags.log_level, "\""));
  }
  std::string pattern;
  if (flags.log_format == "text") {
    pattern = absl::StrCat("%Y-%m-%dT%H:%M:%S.%eZ %l ", service, ": %v");
  } else if (flags.log_format == "json") {
    // Messages are ours and never carry unescaped quotes from user input (we quote with {:?}-like escaping at call sites).
    pattern = absl::StrCat(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","service":")", service, R"(","msg":"%v"})");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown --log-format \"", flags.log_format, "\" (text or json)"));
  }
  auto logger = spdlog::stderr_logger_mt(service);
  logger->set_pattern(pattern, spdlog::pattern_time_type::utc);
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return absl::OkStatus();
}

}  // namespace strata
