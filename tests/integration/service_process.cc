#include "tests/integration/service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/http/http_client.h"

#ifndef STRATA_BIN_DIR
#error "STRATA_BIN_DIR must point at build/bin"
#endif

namespace strata::testing {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
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
      return absl::InternalError(absl::StrCat(binary_, " exited during start-up (status ", status, "), see ",
                                              log_path_));
    }
    auto resp = client.Get(ready_path_);
    if (resp.ok() && resp->status == 200) return absl::OkStatus();
    client.Close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(binary_, " not ready after ", timeout_s, "s, see ", log_path_));
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
