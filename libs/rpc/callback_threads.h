// gRPC's callback API runs on a process-wide pair of "nexting" threads (gRPC 1.51
// without a background poller). They are started when the first channel or server
// needs them and torn down when the last one releases them. When that release runs
// on one of those threads (a callback dropping the last channel), gRPC cannot join
// the thread it is on and frees the queue under it: the process aborts in
// grpc_cq_internal_unref ("assertion failed: prior > 0"). cluster_test, which
// creates and drops clients many times, hit it in 1 run in 2 to 1 in 12 under load.
#pragma once

namespace strata {

// Takes a reference to those threads that is never released, so they live as long
// as the process. Idempotent, thread-safe, returns once the reference is held.
// StorageNodes calls it; a process that uses the callback API on its own channels
// should too.
void PinCallbackThreads();

}  // namespace strata
