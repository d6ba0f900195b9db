// Process-wide Abseil settings for the services, applied first thing in main():
//
//   strata::TuneAbslRuntime();
//
// Debian 12's Abseil is built without NDEBUG, so every absl::Mutex acquisition
// (gRPC takes several per call) also updates the deadlock detector's lock graph
// (`GraphCycles`): 1–2 % of strata-insert's and strata-storage's CPU in ingest
// profiles. Our own locks are std::mutex; the detector only ever watched gRPC's.
#pragma once

#include "absl/synchronization/mutex.h"

namespace strata {

inline void TuneAbslRuntime() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace strata
