#include "libs/common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strata {
namespace {

absl::StatusOr<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Seconds since the epoch at which the machine booted (/proc/stat "btime").
absl::StatusOr<double> BootTime() {
  auto text = ReadFile("/proc/stat");
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return absl::DataLossError("no btime line in /proc/stat");
}

absl::StatusOr<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return absl::UnavailableError("cannot open /proc/self/fd");
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory handle opendir itself holds
}

// The fields of a /proc/<pid>/stat file from field 3 (state) on: field n is at
// index n - 3. `min_field` is the highest field the caller reads.
absl::StatusOr<std::vector<std::string>> ReadStatFields(const std::string& path, int min_field) {
  auto stat = ReadFile(path.c_str());
  if (!stat.ok()) return stat.status();
  // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return absl::DataLossError(absl::StrCat("malformed ", path));
  std::istringstream in(stat->substr(close + 2));
  std::vector<std::string> f;
  std::string tok;
  while (in >> tok) f.push_back(tok);
  if (f.size() < static_cast<size_t>(min_field - 2)) return absl::DataLossError(absl::StrCat("short ", path));
  return f;
}

}  // namespace

absl::StatusOr<double> ProcessCpuSeconds(int pid) {
  const std::string path = pid > 0 ? absl::StrCat("/proc/", pid, "/stat") : "/proc/self/stat";
  auto f = ReadStatFields(path, 15);
  if (!f.ok()) return f.status();
  // utime (14) + stime (15), in clock ticks.
  return (std::stod((*f)[14 - 3]) + std::stod((*f)[15 - 3])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ProcessStats st;
  // We need utime(14) stime(15) starttime(22) vsize(23) rss(24).
  auto fields = ReadStatFields("/proc/self/stat", 24);
  if (!fields.ok()) return fields.status();
  const std::vector<std::string>& f = *fields;
  auto field = [&](int n) { return std::stod(f[n - 3]); };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  st.cpu_seconds = (field(14) + field(15)) / ticks;
  st.virtual_memory_bytes = field(23);
  st.resident_memory_bytes = field(24) * page;
  auto boot = BootTime();
  if (!boot.ok()) return boot.status();
  st.start_time_seconds = *boot + field(22) / ticks;
  auto fds = OpenFds();
  if (!fds.ok()) return fds.status();
  st.open_fds = *fds;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return absl::UnavailableError("getrlimit(RLIMIT_NOFILE) failed");
  st.max_fds = lim.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(lim.rlim_cur);
  return st;
}

void RegisterProcessMetrics(MetricsRegistry& registry) {
  // One scrape evaluates six callbacks; they share a reading taken at most 100 ms ago.
  struct Cache {
    absl::Mutex mu;
    absl::Time taken ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    absl::StatusOr<ProcessStats> stats ABSL_GUARDED_BY(mu) = ProcessStats{};
  };
  auto cache = std::make_shared<Cache>();
  auto read = [cache](double ProcessStats::*member) {
    return [cache, member]() -> double {
      absl::MutexLock lock(&cache->mu);
      absl::Time now = absl::Now();
      if (now - cache->taken > absl::Milliseconds(100)) {
        cache->stats = ReadProcessStats();
        cache->taken = now;
      }
      return cache->stats.ok() ? (*cache->stats).*member : std::nan("");
    };
  };
  registry.AddCallbackCounter("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              read(&ProcessStats::cpu_seconds));
  registry.AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                            read(&ProcessStats::resident_memory_bytes));
  registry.AddCallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                            read(&ProcessStats::virtual_memory_bytes));
  registry.AddCallbackGauge("process_open_fds", "Number of open file descriptors.",
                            read(&ProcessStats::open_fds));
  registry.AddCallbackGauge("process_max_fds", "Maximum number of open file descriptors.",
                            read(&ProcessStats::max_fds));
  registry.AddCallbackGauge("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.",
                            read(&ProcessStats::start_time_seconds));
}

}  // namespace strata
