// HTTP admin endpoints of a storage node (port 8482), VictoriaMetrics-shaped:
//   POST|GET /internal/force_flush           makes every acknowledged sample durable in blocks
//   POST|GET /snapshot/create                -> {"status":"ok","snapshot":"<name>"}
//   GET      /snapshot/list                  -> {"status":"ok","snapshots":["..."]}
//   POST|GET /snapshot/delete?snapshot=NAME  -> {"status":"ok"}
// Errors: {"status":"error","msg":"..."} with the HTTP code of the status.
#pragma once

#include <atomic>

#include "libs/http/http_server.h"
#include "libs/storage/engine.h"

namespace strata {

// `engine` is read at each request: null (still opening) answers 503. Register
// before the server starts.
void RegisterAdminHandlers(http::HttpServer* server, const std::atomic<storage::StorageEngine*>* engine);

}  // namespace strata
