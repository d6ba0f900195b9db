// Starts a Strata binary (build/bin/...) as a child process on loopback for
// integration tests, waits until its /ready answers 200, and stops it.
//
//   ServiceProcess storage("strata-storage", {"--data-dir=" + dir, ...}, http_port);
//   REQUIRE(storage.Start().ok());
//   ...
//   storage.Kill(SIGKILL);            // crash it
//   REQUIRE(storage.Start().ok());    // same flags again
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace strata::testing {

// A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral range and
// never handed out twice by test processes running at the same time (see the .cc).
int FreePort();

// A fresh directory under /tmp removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServiceProcess {
 public:
  // `binary` is a file name in the build's bin directory, or an absolute path (a
  // real Prometheus, say); logs go to /tmp/<basename>-<http_port>.log. Start()
  // waits for GET `ready_path` on `http_port` to answer 200.
  ServiceProcess(std::string binary, std::vector<std::string> args, int http_port,
                 std::string ready_path = "/ready");
  ~ServiceProcess();  // SIGKILL if still running

  // Spawns the process and waits (up to `timeout_s`) for GET /ready == 200.
  absl::Status Start(double timeout_s = 30);
  // Sends `sig` and waits for the process to exit; returns its exit status
  // (as waitpid reports it).
  int Kill(int sig);
  // SIGTERM and wait; true when it exited with status 0.
  bool Stop();
  bool running() const { return pid_ > 0; }
  const std::string& log_path() const { return log_path_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  int http_port_;
  std::string ready_path_;
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace strata::testing
