// Runs Prometheus' PromQL test scripts (/work/shared/promql-tests/FORMAT.md) against
// our engine: load / clear / eval instant / eval_fail / eval_ordered, plus the newer
// `eval range` and `expect` forms.
//
//   ScriptRunner runner({.skip_native_histograms = true});
//   FileResult r = runner.RunFile("functions.test", &std::cout);  // prints failures
//   r.passed, r.failed, r.skipped
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/sample.h"
#include "tools/promqltest/series_notation.h"

namespace strata::promqltest {

struct RunnerOptions {
  bool skip_native_histograms = false;
  // Also check each instant eval as a range query over [t-1m, t+1m] (FORMAT.md 7.6).
  bool check_range_mode = true;
  // Also check that pinning every selector with `@ t` gives the same result at other
  // evaluation times (FORMAT.md 7.6).
  bool check_at_modifier = true;
};

struct FileResult {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  bool parse_error = false;  // the file itself could not be read or parsed
};

class ScriptRunner {
 public:
  explicit ScriptRunner(RunnerOptions opts) : opts_(opts) {}
  // Runs every command of `path`, printing one line per failing eval to `out`.
  FileResult RunFile(const std::string& path, std::ostream* out);
  // The same over script text (`name` used in messages).
  FileResult RunScript(std::string_view name, std::string_view text, std::ostream* out);

 private:
  RunnerOptions opts_;
};

}  // namespace strata::promqltest
