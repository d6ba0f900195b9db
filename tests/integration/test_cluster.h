// Real strata-storage / strata-insert processes on loopback for integration tests,
// and helpers to read back what a storage node holds.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/sample.h"
#include "storage.grpc.pb.h"
#include "tests/integration/service_process.h"

namespace strata::testing {

int64_t NowMs();

// One strata-storage process with its own data directory and ports.
struct StorageNodeProcess {
  explicit StorageNodeProcess(std::vector<std::string> extra_args = {});
  TempDir dir;
  int grpc_port;
  int http_port;
  std::unique_ptr<ServiceProcess> proc;
  std::unique_ptr<storage::v1::Storage::Stub> stub;
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port); }
};

// One strata-insert process in front of `nodes`.
struct InsertProcess {
  InsertProcess(const std::vector<StorageNodeProcess*>& nodes, std::vector<std::string> extra_args = {});
  int http_port;
  std::unique_ptr<ServiceProcess> proc;
};

// One strata-select process in front of `nodes`.
struct SelectProcess {
  SelectProcess(const std::vector<StorageNodeProcess*>& nodes, std::vector<std::string> extra_args = {});
  int http_port;
  std::unique_ptr<ServiceProcess> proc;
};

// The cluster most tests need: 3 storage nodes, an insert and a select, both with
// --replication-factor=2 (plus any extra flags).
//
//   ReplicatedCluster cl;
//   REQUIRE(cl.Start().ok());
//   http::HttpClient c("127.0.0.1", cl.insert.http_port);
struct ReplicatedCluster {
  explicit ReplicatedCluster(std::vector<std::string> insert_args = {}, std::vector<std::string> select_args = {});
  // Starts the storage nodes, then insert and select; the first failure is returned.
  absl::Status Start();
  StorageNodeProcess a, b, c;
  std::vector<StorageNodeProcess*> nodes;
  InsertProcess insert;
  SelectProcess select;
};

// Series (as Labels::ToString()) -> samples, merged over blocks, of every series of
// `account` matching `ms` in [mint, maxt] on one storage node. *status gets the
// RPC's status when given (else it must be OK). Waits for the node to be reachable
// (wait_for_ready) within the 30 s deadline, so it is safe right after a restart.
using SeriesSamples = std::map<std::string, std::vector<Sample>>;
SeriesSamples SearchNode(storage::v1::Storage::Stub* stub, const Matchers& ms, int64_t mint, int64_t maxt,
                         uint32_t account = 0, grpc::Status* status = nullptr);

Matcher Eq(std::string name, std::string value);

}  // namespace strata::testing
