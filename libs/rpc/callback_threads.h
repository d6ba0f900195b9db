// gRPC's callback API runs on a process-wide pair of "nexting" threads (gRPC 1.51
// without a background poller, as built for Debian 12). Two things about them are
// worked around here:
//
// - They are started when the first channel or server needs them and torn down
//   when the last one releases them. When that release runs on one of those threads
//   (a callback dropping the last channel), gRPC cannot join the thread it is on and
//   frees the queue under it: the process aborts in grpc_cq_internal_unref
//   ("assertion failed: prior > 0"). cluster_test, which creates and drops clients
//   many times, hit it in 1 run in 2 to 1 in 12 under load.
// - Each waits for work with a 1 s deadline and, when that passes with nothing to
//   do, sleeps 100 ms before waiting again. After a second without calls both
//   threads reach that sleep together, and for 100 ms nothing in the process reads
//   its sockets: a call arriving then waits for the sleep to end. A query paced 1 s
//   after the one before took 57-73 ms instead of 6-10 ms, with the storage node's
//   Search itself unchanged; any call after an idle second risked it.
#pragma once

namespace strata {

// Takes a reference to those threads that is never released, so they live as long
// as the process, and starts one more thread that serves the same queue without a
// deadline or a sleep, so that a call is picked up at once whenever it arrives.
// Idempotent, thread-safe, returns once the reference is held. StorageNodes (the
// clients) and strata-storage (the server) call it; any process that uses the
// callback API should.
void PinCallbackThreads();

}  // namespace strata
