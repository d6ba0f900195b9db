// Test helper: polls a condition until it holds, for tests that wait on other
// threads.
//
//   REQUIRE(strata::Eventually([&] { return pool.idle() == 8; }));
#pragma once

#include <chrono>
#include <thread>

namespace strata {

// Polls `cond` every millisecond for up to 10 s (a liveness bound, not a speed
// check); returns its last answer.
template <typename Cond>
bool Eventually(Cond cond) {
  for (int i = 0; i < 10'000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

}  // namespace strata
