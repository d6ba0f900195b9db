#include "libs/http/termination_signal.h"

#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>

namespace strata::http {
namespace {

// Signal handlers may only touch lock-free atomics and sem_post.
sem_t g_sem;
std::atomic<int> g_signal{-1};
std::once_flag g_once;

void OnSignal(int sig) {
  int expected = -1;
  g_signal.compare_exchange_strong(expected, sig);
  sem_post(&g_sem);
}

void Init() {
  std::call_once(g_once, [] {
    sem_init(&g_sem, 0, 0);
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
  });
}

}  // namespace

void InstallTerminationHandler() { Init(); }

int WaitForTerminationSignal() {
  Init();
  while (sem_wait(&g_sem) != 0 && errno == EINTR) {
  }
  sem_post(&g_sem);  // later callers return at once too
  int sig = g_signal.load();
  return sig < 0 ? 0 : sig;
}

void RequestTermination() {
  Init();
  int expected = -1;
  g_signal.compare_exchange_strong(expected, 0);
  sem_post(&g_sem);
}

}  // namespace strata::http
