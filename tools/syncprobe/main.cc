// strata-sync-probe: times making a record durable in a preallocated, synced file,
// as the WAL appends (docs/format/wal.md), by one of three methods:
//   fdatasync    pwrite, then fdatasync (what the WAL does)
//   range-flush  pwrite, sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER), then
//                fdatasync of an empty file for the device cache flush alone
//   direct-dsync O_DIRECT|O_DSYNC pwrite of the record's whole 4 KiB blocks
// and prints latency percentiles and CPU per sync.
//
//   strata-sync-probe --dir=/var/lib/strata --method=fdatasync --bytes=12000 --count=1000
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace {

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

bool Fail(const char* what) {
  std::perror(what);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time making WAL-sized records durable"};
  std::string dir = ".", method = "fdatasync";
  size_t bytes = 12000;
  int count = 1000;
  app.add_option("--dir", dir, "Directory on the filesystem to probe")->capture_default_str();
  app.add_option("--method", method, "fdatasync, range-flush or direct-dsync")
      ->check(CLI::IsMember({"fdatasync", "range-flush", "direct-dsync"}))
      ->capture_default_str();
  app.add_option("--bytes", bytes, "Record size")->check(CLI::Range(1, 64 << 20))->capture_default_str();
  app.add_option("--count", count, "Records")->check(CLI::Range(10, 1000000))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::string path = dir + "/strata-sync-probe.dat", empty = dir + "/strata-sync-probe.empty";
  const size_t block = 4096, total = (static_cast<size_t>(count) * bytes + 2 * block + block - 1) / block * block;
  // Preallocated as the WAL does: zeros written and synced before the records.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Fail("open");
  std::vector<char> zeros(1 << 20, 0);
  for (size_t off = 0; off < total; off += zeros.size()) {
    if (::pwrite(fd, zeros.data(), std::min(zeros.size(), total - off), static_cast<off_t>(off)) < 0) return Fail("pwrite");
  }
  if (::fsync(fd) != 0) return Fail("fsync");
  const bool direct = method == "direct-dsync";
  if (direct) {
    ::close(fd);
    fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_DSYNC);
    if (fd < 0) return Fail("open O_DIRECT");
  }
  const int flush_fd = ::open(empty.c_str(), O_RDWR | O_CREAT, 0644);
  if (flush_fd < 0 || ::fsync(flush_fd) != 0) return Fail("empty file");

  void* mem = nullptr;
  if (posix_memalign(&mem, block, bytes + 2 * block) != 0) return Fail("posix_memalign");
  char* buf = static_cast<char*>(mem);
  std::memset(buf, 'x', bytes + 2 * block);
  std::vector<double> us;
  us.reserve(count);
  uint64_t off = 0;
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    bool ok = true;
    if (direct) {  // the record's blocks, from the block it starts in
      const uint64_t from = off / block * block, to = (off + bytes + block - 1) / block * block;
      ok = ::pwrite(fd, buf, to - from, static_cast<off_t>(from)) >= 0;
    } else {
      ok = ::pwrite(fd, buf, bytes, static_cast<off_t>(off)) >= 0;
      if (ok && method == "fdatasync") ok = ::fdatasync(fd) == 0;
      if (ok && method == "range-flush") {
        ok = ::sync_file_range(fd, static_cast<off_t>(off), static_cast<off_t>(bytes),
                               SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0 &&
             ::fdatasync(flush_fd) == 0;
      }
    }
    if (!ok) return Fail(method.c_str());
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    off += bytes;
  }
  const double cpu = CpuSeconds() - cpu0;
  ::close(fd);
  ::close(flush_fd);
  ::unlink(path.c_str());
  ::unlink(empty.c_str());
  std::free(mem);
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))]; };
  std::printf("method=%s bytes=%zu count=%d p10_us=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f cpu_us_per_sync=%.1f\n",
              method.c_str(), bytes, count, pct(0.1), pct(0.5), pct(0.9), pct(0.99), cpu * 1e6 / count);
  return 0;
}
