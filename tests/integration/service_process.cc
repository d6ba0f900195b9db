#include "tests/integration/service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/http/http_client.h"

#ifndef STRATA_BIN_DIR
#error "STRATA_BIN_DIR must point at build/bin"
#endif

namespace strata::testing {
namespace {

// The last `max_bytes` of a log file, for an error message.
std::string LogTail(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

}  // namespace

// Ports come from below the kernel's ephemeral range (32768 and up here), so an
// outgoing connection of a test running beside this one cannot hold the port that a
// server is about to bind. Every port handed out is also locked (flock on
// /tmp/strata-it-ports/<port>, held until this process exits). flock locks belong to
// the open file, so a port already handed out fails the lock again, in this process
// as in any other: no port is handed out twice while its taker runs.
int FreePort() {
  static std::mutex mu;
  static std::mt19937 rng(static_cast<uint32_t>(getpid()) * 2654435761u ^
                          static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  constexpr int kLow = 12000, kHigh = 32000;
  std::lock_guard<std::mutex> lock(mu);
  const std::string lock_dir = "/tmp/strata-it-ports";
  mkdir(lock_dir.c_str(), 0777);
  for (int attempt = 0; attempt < 10000; ++attempt) {
    int port = kLow + static_cast<int>(rng() % (kHigh - kLow));
    int lock_fd = open(absl::StrCat(lock_dir, "/", port).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock_fd < 0) continue;
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      close(lock_fd);
      continue;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (!free) {
      close(lock_fd);
      continue;
    }
    // lock_fd stays open: the lock lasts as long as this process.
    return port;
  }
  std::fprintf(stderr, "FreePort: no free port in [%d, %d)\n", kLow, kHigh);
  std::abort();
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/strata-it-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ServiceProcess::ServiceProcess(std::string binary, std::vector<std::string> args, int http_port,
                               std::string ready_path)
    : binary_(std::move(binary)), args_(std::move(args)), http_port_(http_port), ready_path_(std::move(ready_path)) {
  log_path_ = absl::StrCat("/tmp/", std::filesystem::path(binary_).filename().string(), "-", http_port_, ".log");
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Kill(SIGKILL);
}

absl::Status ServiceProcess::Start(double timeout_s) {
  std::string path = binary_[0] == '/' ? binary_ : absl::StrCat(STRATA_BIN_DIR, "/", binary_);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  http::HttpClient client("127.0.0.1", http_port_, absl::Seconds(2));
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      absl::Status err = absl::InternalError(absl::StrCat(binary_, " exited during start-up (status ", status,
                                                          "), see ", log_path_, "; it ends:\n", LogTail(log_path_)));
      // Tests REQUIRE(Start().ok()), which prints only `false`: say why here.
      std::fprintf(stderr, "%s\n", err.ToString().c_str());
      return err;
    }
    auto resp = client.Get(ready_path_);
    if (resp.ok() && resp->status == 200) return absl::OkStatus();
    client.Close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  absl::Status err = absl::DeadlineExceededError(
      absl::StrCat(binary_, " not ready after ", timeout_s, "s, see ", log_path_, "; it ends:\n", LogTail(log_path_)));
  std::fprintf(stderr, "%s\n", err.ToString().c_str());
  return err;
}

int ServiceProcess::Kill(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool ServiceProcess::Stop() {
  int status = Kill(SIGTERM);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace strata::testing
