// A real kill -9 of a process that is appending: under every fsync policy each
// acknowledged record must be replayed afterwards (the kernel keeps what write(2)
// accepted), and the torn tail the kill may leave is repaired by Open().
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "libs/storage/wal/wal.h"
#include "libs/storage/wal/wal_test_util.h"

namespace strata::wal {
namespace {

using testing::Replayed;
using testing::ReplayAll;
using testing::TempDir;

std::string Rec(uint32_t i) { return "rec-" + std::to_string(i) + std::string(i % 300, 'k'); }

// Child: appends Rec(0), Rec(1), ... and reports each acknowledged index on `fd`.
[[noreturn]] void AppendForever(const std::string& dir, FsyncPolicy policy, int fd) {
  Options opts;
  opts.fsync_policy = policy;
  opts.segment_size = 16 << 10;
  auto wal = Wal::Open(dir, opts);
  if (!wal.ok()) _exit(2);
  for (uint32_t i = 0;; ++i) {
    if (!(*wal)->Append(Rec(i)).ok()) _exit(3);
    if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(4);
  }
}

TEST_CASE("kill -9 while appending loses no acknowledged record", "[wal][kill]") {
  const FsyncPolicy policy =
      GENERATE(FsyncPolicy::kAlways, FsyncPolicy::kInterval, FsyncPolicy::kNever);
  INFO("policy " << FsyncPolicyName(policy));
  TempDir dir;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    AppendForever(dir.path(), policy, fds[1]);
  }
  close(fds[1]);
  // Enough to cross several segment rolls; fewer under `always` (an fsync each).
  const int64_t target = policy == FsyncPolicy::kAlways ? 400 : 3000;
  int64_t acked = -1;
  uint32_t idx;
  // Let it run for a while (and past several segment rolls), then kill it mid-stream.
  while (acked < target && read(fds[0], &idx, sizeof(idx)) == sizeof(idx)) acked = idx;
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  // Acknowledgements already in the pipe count too.
  while (read(fds[0], &idx, sizeof(idx)) == sizeof(idx)) acked = idx;
  close(fds[0]);
  REQUIRE(acked >= target);

  auto wal = Wal::Open(dir.path(), Options{});
  REQUIRE(wal.ok());
  Replayed got;
  REQUIRE(ReplayAll(**wal, &got).ok());
  // Every acknowledged record, in order, with nothing invented in between (the one
  // or two being appended and not yet reported at the kill may be there too).
  REQUIRE(static_cast<int64_t>(got.records.size()) >= acked + 1);
  CHECK(static_cast<int64_t>(got.records.size()) <= acked + 3);
  for (size_t i = 0; i < got.records.size(); ++i) {
    if (got.records[i] != Rec(static_cast<uint32_t>(i))) {
      FAIL("record " << i << " differs");
    }
  }
}

}  // namespace
}  // namespace strata::wal
