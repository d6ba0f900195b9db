// The tail of every stateless service's main(): start the HTTP server, say so, wait
// for SIGTERM/SIGINT, drain, stop.
//
//   strata::http::HttpServer http(opts);
//   api.Register(&http);
//   return strata::http::ServeUntilTerminated(http, "ready: 3 storage nodes",
//                                             [&] { for (auto& l : listeners) l->Shutdown(); });
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "libs/http/http_server.h"

namespace strata::http {

// Starts `server` (logs the error and returns 1 when it cannot), logs
// "<ready_line>, HTTP :<port>", blocks until a termination signal, shuts the server
// down within `drain`, runs `after_stop` (other listeners), and returns 0.
// REQUIRES: InstallTerminationHandler() ran first in main().
int ServeUntilTerminated(HttpServer& server, const std::string& ready_line,
                         const std::function<void()>& after_stop = {},
                         absl::Duration drain = absl::Seconds(10));

}  // namespace strata::http
