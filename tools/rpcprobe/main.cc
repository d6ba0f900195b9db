// strata-rpc-probe: times one storage node's search round trip as strata-select
// makes it (StorageNode::Search: on a SearchStream call kept open, answer read as
// bytes; with --search-mode=call, a Search call each), sequentially, back to back or
// with a pause between searches, and reports the median and p90 round trip with the
// CPU each cost this process and, given its pid, the node.
//
//   strata-rpc-probe --node=127.0.0.1:8400 --match=__name__=up --match=job=node
//       --calls=2000 --pause-us=1500 --node-pid=$(pidof strata-storage) [--search-mode=call]
//
// A pause lets every thread of both processes go to sleep between calls, as a
// dashboard's queries do; back to back they stay awake. The difference is what
// waking them costs on this machine (docs/benchmarks.md, nineteenth session).
//
// What a call costs gRPC itself, without Strata's handler: an echo server, and
// round trips of one 200-byte message each, as separate calls or on one stream:
//
//   strata-rpc-probe --echo-server=127.0.0.1:29999 &
//   strata-rpc-probe --echo=127.0.0.1:29999 --echo-mode=call --pause-us=1500 --node-pid=$!
//   strata-rpc-probe --echo=127.0.0.1:29999 --echo-mode=stream --pause-us=1500 --node-pid=$!
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libs/cluster/storage_nodes.h"
#include "libs/common/flags.h"
#include "libs/common/process_metrics.h"

namespace {

// This process' CPU seconds, to the microsecond (/proc counts clock ticks).
double SelfCpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of process `pid`; -1 when unreadable (the reason goes to stderr).
double CpuSeconds(int pid) {
  absl::StatusOr<double> s = strata::ProcessCpuSeconds(pid);
  if (s.ok()) return *s;
  fprintf(stderr, "%s\n", std::string(s.status().message()).c_str());
  return -1;
}

// Answers every message of every call with the same bytes, until the client closes.
class EchoReactor final : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor() { StartRead(&in_); }
  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);
    out_ = in_;
    StartWrite(&out_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::CANCELLED);
    StartRead(&in_);
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer in_, out_;
};

class EchoService final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new EchoReactor();
  }
};

// One long-lived echo call: each RoundTrip writes a message and waits for its echo.
class EchoStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit EchoStream(grpc::GenericStub* stub) {
    stub->PrepareBidiStreamingCall(&ctx_, "/strata.probe.Echo/Echo", grpc::StubOptions(), this);
    StartCall();
  }
  ~EchoStream() override { ctx_.TryCancel(); }
  bool RoundTrip(const grpc::ByteBuffer& m) {
    out_ = m;
    pending_ = 2;
    StartWrite(&out_);
    StartRead(&in_);
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return pending_ == 0; });
    return ok_;
  }
  void OnWriteDone(bool ok) override { Done(ok); }
  void OnReadDone(bool ok) override { Done(ok); }
  void OnDone(const grpc::Status&) override {}

 private:
  void Done(bool ok) {
    std::lock_guard<std::mutex> l(mu_);
    ok_ = ok_ && ok;
    if (--pending_ == 0) cv_.notify_one();
  }
  grpc::ClientContext ctx_;
  grpc::ByteBuffer in_, out_;
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;
  bool ok_ = true;
};

// One echo round trip as a call of its own (start, one message each way, close).
bool EchoCall(grpc::GenericStub* stub, const grpc::ByteBuffer& m) {
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  void* tag = nullptr;
  bool ok = false, all = true;
  auto call = stub->PrepareCall(&ctx, "/strata.probe.Echo/Echo", &cq);
  call->StartCall(nullptr);
  all = cq.Next(&tag, &ok) && ok && all;
  call->Write(m, nullptr);
  all = cq.Next(&tag, &ok) && ok && all;
  call->WritesDone(nullptr);
  all = cq.Next(&tag, &ok) && ok && all;
  grpc::ByteBuffer in;
  call->Read(&in, nullptr);
  all = cq.Next(&tag, &ok) && ok && all;
  grpc::Status st;
  call->Finish(&st, nullptr);
  all = cq.Next(&tag, &ok) && ok && all;
  return all && st.ok();
}

// Times `calls` sequential calls of `call` (after 100 untimed), each after
// `pause_us`, and prints the round trip's median and p90 and the CPU per call of
// this process and, when node_pid > 0, of that one.
int Measure(const std::function<bool()>& call, int calls, int pause_us, int node_pid, const std::string& what) {
  for (int i = 0; i < 100; ++i) {
    if (!call()) return 1;
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(calls));
  const double cpu0 = SelfCpuSeconds(), node0 = node_pid > 0 ? CpuSeconds(node_pid) : -1;
  for (int i = 0; i < calls; ++i) {
    if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    auto t0 = std::chrono::steady_clock::now();
    if (!call()) return 1;
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  const double cpu = (SelfCpuSeconds() - cpu0) / calls * 1e6;
  std::sort(us.begin(), us.end());
  printf("%s calls=%d pause_us=%d p50_us=%.0f p90_us=%.0f client_cpu_us=%.0f", what.c_str(), calls, pause_us,
         us[us.size() / 2], us[us.size() * 9 / 10], cpu);
  if (node0 >= 0) printf(" node_cpu_us=%.0f", (CpuSeconds(node_pid) - node0) / calls * 1e6);
  printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"strata-rpc-probe: a storage node's Search round trip, as strata-select makes it"};
  std::string node, echo_server, echo, echo_mode = "call", search_mode = "stream";
  std::vector<std::string> match;
  int calls = 2000, pause_us = 0, node_pid = 0;
  int64_t min_time_ms = 0, max_time_ms = INT64_MAX;
  app.add_option("--node", node, "Storage node gRPC address (host:port) to time Search on");
  app.add_option("--match", match, "Equality matcher name=value of that Search (repeat; at least one)");
  app.add_option("--echo-server", echo_server, "Serve echo calls on this address until killed");
  app.add_option("--echo", echo, "Time echo round trips against this --echo-server address");
  app.add_option("--echo-mode", echo_mode, "call: one call per round trip; stream: all on one call")
      ->check(CLI::IsMember({"call", "stream"}))
      ->capture_default_str();
  app.add_option("--search-mode", search_mode, "stream: on one SearchStream call; call: a Search call each")
      ->check(CLI::IsMember({"stream", "call"}))
      ->capture_default_str();
  app.add_option("--calls", calls, "Calls timed (after 100 not timed)")->capture_default_str();
  app.add_option("--pause-us", pause_us, "Pause before each call, microseconds")->capture_default_str();
  app.add_option("--node-pid", node_pid, "The node's pid, to report its CPU per call");
  app.add_option("--min-time-ms", min_time_ms, "Search range start")->capture_default_str();
  app.add_option("--max-time-ms", max_time_ms, "Search range end")->capture_default_str();
  strata::AddEnvFallbacks(app);
  CLI11_PARSE(app, argc, argv);

  if (!echo_server.empty()) {
    EchoService service;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(echo_server, grpc::InsecureServerCredentials());
    builder.RegisterCallbackGenericService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr) {
      fprintf(stderr, "cannot listen on %s\n", echo_server.c_str());
      return 1;
    }
    server->Wait();
    return 0;
  }
  if (!echo.empty()) {
    grpc::GenericStub stub(grpc::CreateChannel(echo, grpc::InsecureChannelCredentials()));
    const std::string payload(200, 'x');
    grpc::Slice slice(payload);
    const grpc::ByteBuffer message(&slice, 1);
    if (echo_mode == "stream") {
      EchoStream stream(&stub);
      return Measure([&] { return stream.RoundTrip(message); }, calls, pause_us, node_pid, "echo_stream");
    }
    return Measure([&] { return EchoCall(&stub, message); }, calls, pause_us, node_pid, "echo_call");
  }
  if (node.empty() || match.empty()) {
    fprintf(stderr, "give --node and --match (a Search), --echo-server, or --echo\n");
    return 2;
  }

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
  opts.search_streams = search_mode == "stream";
  strata::StorageNode client(node, opts);
  const grpc::ByteBuffer request = strata::SearchRequestBytes(req);
  size_t bytes = 0;
  auto call = [&]() -> bool {
    bytes = 0;
    absl::Status s = client.Search(req, request, std::chrono::system_clock::now() + std::chrono::seconds(30),
                                   [&](grpc::ByteBuffer&& m) { bytes += m.Length(); });
    if (!s.ok()) fprintf(stderr, "search: %s\n", std::string(s.message()).c_str());
    return s.ok();
  };
  if (!call()) return 1;
  return Measure(call, calls, pause_us, node_pid,
                 "search_" + search_mode + " answer_bytes=" + std::to_string(bytes));
}
