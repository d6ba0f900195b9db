#include "tests/integration/test_cluster.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_join.h"
#include "libs/common/status_util.h"
#include "libs/encoding/block.h"
#include "libs/model/dedup.h"
#include "libs/rpc/proto_convert.h"

namespace strata::testing {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StorageNodeProcess::StorageNodeProcess(std::vector<std::string> extra) : grpc_port(FreePort()), http_port(FreePort()) {
  std::vector<std::string> args = {"--data-dir=" + dir.path(), "--grpc-listen=" + grpc_address(),
                                   "--http-listen=127.0.0.1:" + std::to_string(http_port)};
  args.insert(args.end(), extra.begin(), extra.end());
  proc = std::make_unique<ServiceProcess>("strata-storage", args, http_port);
  stub = storage::v1::Storage::NewStub(grpc::CreateChannel(grpc_address(), grpc::InsecureChannelCredentials()));
}

InsertProcess::InsertProcess(const std::vector<StorageNodeProcess*>& nodes, std::vector<std::string> extra)
    : http_port(FreePort()) {
  std::vector<std::string> addrs;
  for (auto* n : nodes) addrs.push_back(n->grpc_address());
  std::vector<std::string> args = {"--storage-nodes=" + absl::StrJoin(addrs, ","),
                                   "--http-listen=127.0.0.1:" + std::to_string(http_port)};
  args.insert(args.end(), extra.begin(), extra.end());
  proc = std::make_unique<ServiceProcess>("strata-insert", args, http_port);
}

SelectProcess::SelectProcess(const std::vector<StorageNodeProcess*>& nodes, std::vector<std::string> extra)
    : http_port(FreePort()) {
  std::vector<std::string> addrs;
  for (auto* n : nodes) addrs.push_back(n->grpc_address());
  std::vector<std::string> args = {"--storage-nodes=" + absl::StrJoin(addrs, ","),
                                   "--http-listen=127.0.0.1:" + std::to_string(http_port), "--storage-timeout=3s"};
  args.insert(args.end(), extra.begin(), extra.end());
  proc = std::make_unique<ServiceProcess>("strata-select", args, http_port);
}

namespace {
std::vector<std::string> WithRf2(std::vector<std::string> args) {
  args.push_back("--replication-factor=2");
  return args;
}
}  // namespace

ReplicatedCluster::ReplicatedCluster(std::vector<std::string> insert_args, std::vector<std::string> select_args)
    : nodes{&a, &b, &c}, insert(nodes, WithRf2(std::move(insert_args))), select(nodes, WithRf2(std::move(select_args))) {}

absl::Status ReplicatedCluster::Start() {
  for (auto* n : nodes) STRATA_RETURN_IF_ERROR(n->proc->Start());
  STRATA_RETURN_IF_ERROR(insert.proc->Start());
  return select.proc->Start();
}

SeriesSamples SearchNode(storage::v1::Storage::Stub* stub, const Matchers& ms, int64_t mint, int64_t maxt,
                         uint32_t account, grpc::Status* status) {
  storage::v1::SearchRequest req;
  req.set_account_id(account);
  MatchersToProto(ms, req.mutable_matchers());
  req.set_min_time_ms(mint);
  req.set_max_time_ms(maxt);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  // A stub whose node was killed and restarted may still be in reconnect backoff
  // (TRANSIENT_FAILURE): without this the call fails at once with "Connection refused".
  ctx.set_wait_for_ready(true);
  auto reader = stub->Search(&ctx, req);
  storage::v1::SearchResponse resp;
  SeriesSamples out;
  while (reader->Read(&resp)) {
    for (const auto& s : resp.series()) {
      auto& v = out[LabelsFromProto(s.labels())->ToString()];
      for (const auto& b : s.blocks()) {
        absl::Status st = DecodeProtoBlock(b, &v);
        if (!st.ok()) throw std::runtime_error("bad block: " + std::string(st.message()));
      }
      SortAndCollapse(&v);
    }
  }
  grpc::Status st = reader->Finish();
  if (status != nullptr) {
    *status = st;
  } else if (!st.ok()) {
    throw std::runtime_error("search failed: " + st.error_message());
  }
  return out;
}

Matcher Eq(std::string name, std::string value) { return *Matcher::Make(MatchType::kEqual, name, value); }

}  // namespace strata::testing
