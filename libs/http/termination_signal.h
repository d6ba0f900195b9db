// Waiting for SIGTERM / SIGINT in a service's main().
//
//   int main(...) {
//     strata::http::InstallTerminationHandler();   // first thing: before threads start
//     ... server.Start() ...
//     int sig = strata::http::WaitForTerminationSignal();
//     spdlog::info("signal {}, shutting down", sig);
//     server.Shutdown(absl::Seconds(10));
//   }
#pragma once

namespace strata::http {

// Installs SIGTERM and SIGINT handlers that record the signal (async-signal-safe).
// Idempotent. Until it runs the default action (exit) applies.
void InstallTerminationHandler();

// Blocks until SIGTERM or SIGINT arrives (installing the handler if needed) or
// RequestTermination() is called; returns the signal number (0 for
// RequestTermination). Returns at once if one already arrived.
int WaitForTerminationSignal();

// Wakes WaitForTerminationSignal() as if a signal arrived (for tests and for
// shutting down from an admin endpoint).
void RequestTermination();

}  // namespace strata::http
