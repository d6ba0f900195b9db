#include "libs/cluster/storage_nodes.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "libs/common/status_util.h"
#include "libs/rpc/grpc_status.h"
#include "libs/rpc/callback_threads.h"
#include "spdlog/spdlog.h"

namespace strata {
namespace {

constexpr std::chrono::milliseconds kMinBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};

absl::Status ValidHostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    return absl::InvalidArgumentError(absl::StrCat("storage node \"", s, "\" is not host:port"));
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return absl::InvalidArgumentError(absl::StrCat("storage node \"", s, "\" has a bad port"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Resolve(const std::string& name_port) {
  size_t colon = name_port.rfind(':');
  std::string host = name_port.substr(0, colon), port = name_port.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", gai_strerror(rc)));
  std::vector<std::string> out;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    if (p->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, buf, sizeof buf);
      out.push_back(absl::StrCat(buf, ":", port));
    } else if (p->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, buf, sizeof buf);
      out.push_back(absl::StrCat("[", buf, "]:", port));
    }
  }
  freeaddrinfo(res);
  return out;
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const StorageClientOptions& opts) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(opts.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(opts.max_message_bytes));
  // Reconnect quickly after a node restarts.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

StorageNode::StorageNode(std::string address, const StorageClientOptions& opts)
    : address_(std::move(address)),
      compress_(opts.compress),
      compression_level_(opts.compression_level),
      channel_(NewChannel(address_, opts)),
      search_streams_(channel_),
      search_streams_on_(opts.search_streams) {
  stub_ = storage::v1::Storage::NewStub(channel_);
  write_streams_ = std::make_unique<WriteStreams>(stub_.get());
  write_streams_on_.store(opts.write_streams, std::memory_order_relaxed);
  search_bytes_ = std::make_unique<grpc::internal::RpcMethod>(
      "/strata.storage.v1.Storage/Search", grpc::internal::RpcMethod::SERVER_STREAMING, channel_);
}

std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> StorageNode::SearchBytes(
    grpc::ClientContext* ctx, const storage::v1::SearchRequest& req) const {
  // What the generated stub does, with ByteBuffer (gRPC's own serialization
  // traits: the received slices, not parsed) as the message type.
  return std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>>(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel_.get(), *search_bytes_, ctx, req));
}

absl::Status StorageNode::Search(const storage::v1::SearchRequest& req, const grpc::ByteBuffer& request,
                                 std::chrono::system_clock::time_point deadline,
                                 const std::function<void(grpc::ByteBuffer&&)>& on_message) const {
  if (search_streams_on_.load(std::memory_order_relaxed)) {
    bool any = false;
    absl::Status s = search_streams_.Search(request, deadline, [&](grpc::ByteBuffer&& m) {
      any = true;
      on_message(std::move(m));
    });
    if (s.code() != absl::StatusCode::kUnimplemented || any) return s;
    spdlog::warn("storage node {} predates SearchStream; searching it with a Search call each", address_);
    search_streams_on_.store(false, std::memory_order_relaxed);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline);
  auto reader = SearchBytes(&ctx, req);
  grpc::ByteBuffer m;
  while (reader->Read(&m)) on_message(std::move(m));
  return FromGrpcStatus(reader->Finish());
}

StorageNode::~StorageNode() = default;

WriteStreams* StorageNode::write_streams() const {
  return write_streams_on_.load(std::memory_order_relaxed) ? write_streams_.get() : nullptr;
}

void StorageNode::WriteStreamsUnsupported() const {
  if (write_streams_on_.exchange(false, std::memory_order_relaxed)) {
    spdlog::warn("storage node {} predates WriteStream; writing to it with a Write call each", address_);
  }
}

grpc::ByteBuffer SearchRequestBytes(const storage::v1::SearchRequest& req) {
  grpc::Slice slice(req.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool StorageNode::Healthy() const {
  std::lock_guard<std::mutex> l(mu_);
  return std::chrono::steady_clock::now() >= retry_at_;
}

void StorageNode::ReportFailure() {
  std::lock_guard<std::mutex> l(mu_);
  backoff_ = backoff_.count() == 0 ? kMinBackoff : std::min(kMaxBackoff, backoff_ * 2);
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
}

void StorageNode::ReportSuccess() {
  std::lock_guard<std::mutex> l(mu_);
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = {};
}

absl::StatusOr<std::vector<std::string>> ParseStorageNodes(const std::string& spec) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::string entry(absl::StripAsciiWhitespace(part));
    std::string check = entry.rfind("dns+", 0) == 0 ? entry.substr(4) : entry;
    STRATA_RETURN_IF_ERROR(ValidHostPort(check));
    out.push_back(entry);
  }
  if (out.empty()) return absl::InvalidArgumentError("--storage-nodes is empty: give host:port[,host:port...]");
  return out;
}

absl::StatusOr<std::unique_ptr<StorageNodes>> StorageNodes::Create(const std::string& spec,
                                                                   StorageClientOptions opts) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> entries, ParseStorageNodes(spec));
  if (opts.callback_calls) PinCallbackThreads();  // writers call back on them; nodes come and go with DNS
  std::vector<std::string> static_nodes, dns;
  for (auto& e : entries) (e.rfind("dns+", 0) == 0 ? dns : static_nodes).push_back(e.rfind("dns+", 0) == 0 ? e.substr(4) : e);
  auto nodes = std::unique_ptr<StorageNodes>(new StorageNodes(static_nodes, dns, opts));
  STRATA_RETURN_IF_ERROR(nodes->Refresh());
  nodes->loop_ = std::thread([n = nodes.get()] { n->Loop(); });
  return nodes;
}

StorageNodes::StorageNodes(std::vector<std::string> static_nodes, std::vector<std::string> dns_entries,
                           StorageClientOptions opts)
    : static_nodes_(std::move(static_nodes)), dns_entries_(std::move(dns_entries)), opts_(opts) {}

StorageNodes::~StorageNodes() {
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

std::shared_ptr<const StorageNodes::View> StorageNodes::Current() const {
  std::lock_guard<std::mutex> l(mu_);
  return view_;
}

absl::Status StorageNodes::Refresh() {
  std::vector<std::string> addrs = static_nodes_;
  for (const std::string& d : dns_entries_) {
    absl::StatusOr<std::vector<std::string>> r = Resolve(d);
    if (!r.ok()) {
      if (!view_) return r.status();
      spdlog::warn("storage nodes: {} (keeping the previous list)", std::string(r.status().message()));
      return absl::OkStatus();
    }
    addrs.insert(addrs.end(), r->begin(), r->end());
  }
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  auto old = Current();
  if (old) {
    std::vector<std::string> old_addrs;
    for (auto& n : old->nodes) old_addrs.push_back(n->address());
    if (old_addrs == addrs) return absl::OkStatus();
    spdlog::info("storage nodes changed: {} -> {} nodes", old_addrs.size(), addrs.size());
  }
  auto view = std::make_shared<View>(View{{}, Rendezvous(addrs)});
  for (const std::string& a : addrs) {
    std::shared_ptr<StorageNode> node;
    if (old) {
      for (auto& n : old->nodes) {
        if (n->address() == a) node = n;
      }
    }
    view->nodes.push_back(node ? node : std::make_shared<StorageNode>(a, opts_));
  }
  std::lock_guard<std::mutex> l(mu_);
  view_ = std::move(view);
  return absl::OkStatus();
}

void StorageNodes::Loop() {
  auto next_refresh = std::chrono::steady_clock::now() + opts_.refresh;
  std::unique_lock<std::mutex> l(loop_mu_);
  while (!stopping_) {
    loop_cv_.wait_for(l, opts_.probe, [this] { return stopping_; });
    if (stopping_) break;
    l.unlock();
    if (!dns_entries_.empty() && std::chrono::steady_clock::now() >= next_refresh) {
      (void)Refresh();
      next_refresh = std::chrono::steady_clock::now() + opts_.refresh;
    }
    // Probe nodes in back-off so they come back as soon as they answer.
    for (auto& node : Current()->nodes) {
      if (node->Healthy()) continue;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      storage::v1::NodeInfoResponse resp;
      if (node->stub()->NodeInfo(&ctx, storage::v1::NodeInfoRequest(), &resp).ok()) {
        spdlog::info("storage node {} is back", node->address());
        node->ReportSuccess();
      }
    }
    l.lock();
  }
}

}  // namespace strata
