// strata-promqltest: runs Prometheus PromQL test scripts against the Strata engine.
//
//   strata-promqltest [--skip-native-histograms] [--no-range-check] [--no-at-check] FILE.test...
//
// Prints one line per failing eval (file:line: expression: what differed), one line
// per file with its counts, and last "N passed, M failed[, K skipped]". Exits 1 when
// anything failed, 2 on bad usage.
#include <iostream>
#include <string>
#include <vector>

#include "tools/promqltest/script_runner.h"

int main(int argc, char** argv) {
  strata::promqltest::RunnerOptions opts;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--skip-native-histograms") {
      opts.skip_native_histograms = true;
    } else if (a == "--no-range-check") {
      opts.check_range_mode = false;
    } else if (a == "--no-at-check") {
      opts.check_at_modifier = false;
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: strata-promqltest [--skip-native-histograms] [--no-range-check] "
                   "FILE.test...\n";
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "unknown flag " << a << "\n";
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: strata-promqltest [--skip-native-histograms] FILE.test...\n";
    return 2;
  }
  strata::promqltest::ScriptRunner runner(opts);
  int passed = 0, failed = 0, skipped = 0;
  for (const std::string& f : files) {
    strata::promqltest::FileResult r = runner.RunFile(f, &std::cout);
    std::cout << f << ": " << r.passed << " passed, " << r.failed << " failed";
    if (r.skipped > 0) std::cout << ", " << r.skipped << " skipped";
    std::cout << "\n";
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (skipped > 0) std::cout << ", " << skipped << " skipped";
  std::cout << std::endl;
  return failed > 0 ? 1 : 0;
}
