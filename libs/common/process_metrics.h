// Standard process_* metrics read from /proc, as every Prometheus client exports them.
//
//   strata::RegisterProcessMetrics(strata::DefaultRegistry());   // once, in main()
//
// Registers callback metrics evaluated at scrape time:
//   process_cpu_seconds_total       user + system CPU time (counter)
//   process_resident_memory_bytes   RSS
//   process_virtual_memory_bytes    virtual memory size
//   process_open_fds                entries in /proc/self/fd
//   process_max_fds                 soft RLIMIT_NOFILE
//   process_start_time_seconds      start time since the Unix epoch
// HttpServer calls RegisterProcessMetrics on its registry, so services get these for free.
#pragma once

#include "absl/status/statusor.h"
#include "libs/common/metrics.h"

namespace strata {

// One reading of this process' statistics.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

// Reads /proc/self/stat, /proc/stat, /proc/self/fd and the fd limit. Errors name
// the file that could not be read or parsed.
absl::StatusOr<ProcessStats> ReadProcessStats();

// User + system CPU seconds of process `pid` (0: this one), from /proc/<pid>/stat.
absl::StatusOr<double> ProcessCpuSeconds(int pid = 0);

// Adds the process_* callback metrics to `registry`. Idempotent. A failed read at
// scrape time renders NaN for that metric.
void RegisterProcessMetrics(MetricsRegistry& registry);

}  // namespace strata
