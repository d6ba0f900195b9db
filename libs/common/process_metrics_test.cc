#include "libs/common/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>
#include <vector>

TEST_CASE("ReadProcessStats reports plausible values") {
  auto st = strata::ReadProcessStats();
  REQUIRE(st.ok());
  CHECK(st->resident_memory_bytes > 1e5);
  CHECK(st->virtual_memory_bytes >= st->resident_memory_bytes);
  CHECK(st->cpu_seconds >= 0);
  CHECK(st->open_fds >= 3);  // stdin/stdout/stderr at least
  CHECK(st->max_fds >= st->open_fds);
  double now = static_cast<double>(std::time(nullptr));
  CHECK(st->start_time_seconds <= now + 1);
  CHECK(st->start_time_seconds > now - 24 * 3600);  // a test process is not a day old
}

TEST_CASE("ProcessCpuSeconds reads this process by pid and counts its work") {
  auto self = strata::ProcessCpuSeconds();
  REQUIRE(self.ok());
  // Burn ~50 ms of CPU (several clock ticks), then read the same process by pid.
  volatile double x = 0;
  const std::clock_t until = std::clock() + CLOCKS_PER_SEC / 20;
  while (std::clock() < until) x = x + 1;
  auto by_pid = strata::ProcessCpuSeconds(static_cast<int>(getpid()));
  REQUIRE(by_pid.ok());
  CHECK(*by_pid >= *self + 0.02);
  CHECK(*by_pid < *self + 60);
}

TEST_CASE("ProcessCpuSeconds of a process that does not exist is an error naming its file") {
  auto none = strata::ProcessCpuSeconds(0x3fffffff);  // above any pid_max
  REQUIRE_FALSE(none.ok());
  CHECK(std::string(none.status().message()).find("/proc/1073741823/stat") != std::string::npos);
}

TEST_CASE("open fds follow the process' descriptors") {
  auto before = strata::ReadProcessStats();
  REQUIRE(before.ok());
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  auto during = strata::ReadProcessStats();
  for (int fd : fds) close(fd);
  REQUIRE(during.ok());
  CHECK(during->open_fds == before->open_fds + 5);
}

TEST_CASE("RegisterProcessMetrics renders the process_ family") {
  strata::MetricsRegistry reg;
  strata::RegisterProcessMetrics(reg);
  strata::RegisterProcessMetrics(reg);  // idempotent
  std::string text = reg.Render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    INFO(name);
    auto pos = text.find(std::string("\n") + name + " ");
    REQUIRE(pos != std::string::npos);
    std::string value = text.substr(pos + strlen(name) + 2, text.find('\n', pos + 1) - pos - strlen(name) - 2);
    CHECK(value != "NaN");
    CHECK(std::stod(value) >= 0);
  }
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(text.find("# TYPE process_open_fds gauge\n") != std::string::npos);
}
