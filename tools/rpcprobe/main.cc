// strata-rpc-probe: times one storage node's Search round trip as strata-select
// makes it (StorageNode::SearchBytes: a synchronous server-streaming call with a
// deadline, answer read as bytes), sequentially, back to back or with a pause
// between calls, and reports the median and p90 round trip with the CPU each call
// cost this process and, given its pid, the node.
//
//   strata-rpc-probe --node=127.0.0.1:8400 --match=__name__=up --match=job=node
//       --calls=2000 --pause-us=1500 --node-pid=$(pidof strata-storage)
//
// A pause lets every thread of both processes go to sleep between calls, as a
// dashboard's queries do; back to back they stay awake. The difference is what
// waking them costs on this machine (docs/benchmarks.md, nineteenth session).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "libs/cluster/storage_nodes.h"
#include "libs/common/flags.h"

namespace {

double SelfCpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// User + system CPU seconds of `pid` from /proc, or -1 when unreadable.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields;
  size_t pos = close + 2;
  while (pos < stat.size()) {
    size_t end = stat.find(' ', pos);
    if (end == std::string::npos) end = stat.size();
    fields.push_back(stat.substr(pos, end - pos));
    pos = end + 1;
  }
  // After the name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) / double(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"strata-rpc-probe: a storage node's Search round trip, as strata-select makes it"};
  std::string node;
  std::vector<std::string> match;
  int calls = 2000, pause_us = 0, node_pid = 0;
  int64_t min_time_ms = 0, max_time_ms = INT64_MAX;
  app.add_option("--node", node, "Storage node gRPC address (host:port)")->required();
  app.add_option("--match", match, "Equality matcher name=value (repeat; at least one)")->required();
  app.add_option("--calls", calls, "Calls timed (after 100 not timed)")->capture_default_str();
  app.add_option("--pause-us", pause_us, "Pause before each call, microseconds")->capture_default_str();
  app.add_option("--node-pid", node_pid, "The node's pid, to report its CPU per call");
  app.add_option("--min-time-ms", min_time_ms, "Search range start")->capture_default_str();
  app.add_option("--max-time-ms", max_time_ms, "Search range end")->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);

  strata::storage::v1::SearchRequest req;
  for (const std::string& m : match) {
    size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      fprintf(stderr, "--match wants name=value, got %s\n", m.c_str());
      return 2;
    }
    auto* pm = req.add_matchers();
    pm->set_type(strata::storage::v1::EQUAL);
    pm->set_name(m.substr(0, eq));
    pm->set_value(m.substr(eq + 1));
  }
  req.set_min_time_ms(min_time_ms);
  req.set_max_time_ms(max_time_ms);
  req.set_accept_label_entries(true);
  req.set_accept_packed_samples(true);

  strata::StorageClientOptions opts;
  opts.callback_calls = false;  // as strata-select
  strata::StorageNode client(node, opts);
  size_t bytes = 0;
  auto call = [&]() -> bool {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = client.SearchBytes(&ctx, req);
    grpc::ByteBuffer msg;
    bytes = 0;
    while (reader->Read(&msg)) bytes += msg.Length();
    grpc::Status s = reader->Finish();
    if (!s.ok()) fprintf(stderr, "Search: %s\n", s.error_message().c_str());
    return s.ok();
  };
  for (int i = 0; i < 100; ++i) {
    if (!call()) return 1;
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(calls));
  const double cpu0 = SelfCpuSeconds(), node0 = node_pid > 0 ? ProcessCpuSeconds(node_pid) : -1;
  for (int i = 0; i < calls; ++i) {
    if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    auto t0 = std::chrono::steady_clock::now();
    if (!call()) return 1;
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  const double cpu = (SelfCpuSeconds() - cpu0) / calls * 1e6;
  std::sort(us.begin(), us.end());
  printf("calls=%d pause_us=%d answer_bytes=%zu p50_us=%.0f p90_us=%.0f client_cpu_us=%.0f", calls, pause_us, bytes,
         us[us.size() / 2], us[us.size() * 9 / 10], cpu);
  if (node_pid > 0) printf(" node_cpu_us=%.0f", (ProcessCpuSeconds(node_pid) - node0) / calls * 1e6);
  printf("\n");
  return 0;
}
