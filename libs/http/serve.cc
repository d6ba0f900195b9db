#include "libs/http/serve.h"

#include "libs/http/termination_signal.h"
#include "spdlog/spdlog.h"

namespace strata::http {

int ServeUntilTerminated(HttpServer& server, const std::string& ready_line, const std::function<void()>& after_stop,
                         absl::Duration drain) {
  if (absl::Status s = server.Start(); !s.ok()) {
    spdlog::error("{}", std::string(s.message()));
    return 1;
  }
  spdlog::info("{}, HTTP :{}", ready_line, server.port());
  int sig = WaitForTerminationSignal();
  spdlog::info("signal {}: shutting down", sig);
  server.Shutdown(drain);
  if (after_stop) after_stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace strata::http
