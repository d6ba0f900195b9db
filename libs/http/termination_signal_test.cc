#include "libs/http/termination_signal.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <future>

TEST_CASE("WaitForTerminationSignal returns the first SIGTERM, and keeps returning it") {
  strata::http::InstallTerminationHandler();
  auto waiter = std::async(std::launch::async, [] { return strata::http::WaitForTerminationSignal(); });
  // The process survives SIGTERM because the handler is installed.
  REQUIRE(raise(SIGTERM) == 0);
  CHECK(waiter.get() == SIGTERM);
  // Later waits return at once with the same signal, also after RequestTermination().
  strata::http::RequestTermination();
  CHECK(strata::http::WaitForTerminationSignal() == SIGTERM);
}
