#include "libs/cluster/search_streams.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include <utility>

#include "libs/rpc/grpc_status.h"
#include "libs/rpc/search_wire.h"

namespace strata {
namespace {

constexpr char kMethod[] = "/strata.storage.v1.Storage/SearchStream";

// The first `n` bytes of the message in `slices` (all of it when shorter).
std::string FirstBytes(const std::vector<grpc::Slice>& slices, size_t n) {
  std::string out;
  for (const grpc::Slice& s : slices) {
    if (out.size() >= n) break;
    out.append(reinterpret_cast<const char*>(s.begin()), std::min(s.size(), n - out.size()));
  }
  return out;
}

}  // namespace

// One SearchStream call and the completion queue its operations report to. Only the
// thread running a search touches it.
class SearchStreams::Call {
 public:
  explicit Call(grpc::GenericStub* stub) {
    // The call's headers leave with the first request, in one write. Corked,
    // StartCall sends nothing and reports nothing.
    ctx_.set_initial_metadata_corked(true);
    rw_ = stub->PrepareCall(&ctx_, kMethod, &cq_);
    rw_->StartCall(nullptr);
  }

  ~Call() {
    if (!finished_) {
      ctx_.TryCancel();
      (void)End();
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // Runs one search (see SearchStreams::Search). *got_message once a message of its
  // answer arrived. The call may be used again when healthy() after.
  absl::Status Run(const grpc::ByteBuffer& request, std::chrono::system_clock::time_point deadline,
                   const std::function<void(grpc::ByteBuffer&&)>& on_message, bool* got_message) {
    rw_->Write(request, Tag(kWrite));
    rw_->Read(&in_, Tag(kRead));
    pending_ |= kWrite | kRead;
    absl::Status answer;
    bool ended = false;
    // Until the answer's end has come and the write has reported.
    while (!ended || pending_ != 0) {
      void* tag;
      bool ok;
      if (cq_.AsyncNext(&tag, &ok, deadline) != grpc::CompletionQueue::GOT_EVENT) {
        ctx_.TryCancel();
        (void)End();
        return absl::DeadlineExceededError("the storage node did not answer the search in time");
      }
      const auto op = static_cast<Op>(reinterpret_cast<uintptr_t>(tag));
      pending_ &= ~op;
      if (!ok) return End();  // the call is over: its status says why
      if (op != kRead) continue;
      *got_message = true;
      std::vector<grpc::Slice> slices;
      if (!in_.Dump(&slices).ok()) return Fail(absl::DataLossError("unreadable search answer message"));
      const size_t size = in_.Length();
      size_t end_bytes = 0;
      // Most messages start with a series field: no copy of their first bytes then.
      const bool may_end = !slices.empty() && slices[0].size() > 0 && *slices[0].begin() == kSearchEndTag;
      SearchEndRead r = may_end ? ReadSearchEnd(FirstBytes(slices, kSearchEndPeekBytes), &answer, &end_bytes)
                                : SearchEndRead::kNotEnd;
      if (r == SearchEndRead::kIncomplete && size > kSearchEndPeekBytes) {
        r = ReadSearchEnd(FirstBytes(slices, size), &answer, &end_bytes);
      }
      if (r == SearchEndRead::kIncomplete) {
        answer = absl::DataLossError("search answer message ends inside its SearchResponse.end");
        r = SearchEndRead::kMalformed;
      }
      if (r == SearchEndRead::kMalformed) return Fail(answer);
      if (r == SearchEndRead::kNotEnd) {
        on_message(std::move(in_));
        rw_->Read(&in_, Tag(kRead));
        pending_ |= kRead;
        continue;
      }
      ended = true;
      if (size > end_bytes) on_message(std::move(in_));  // series after the end field
    }
    return answer;
  }

  bool healthy() const { return !finished_; }

 private:
  enum Op : uintptr_t { kWrite = 2, kRead = 4, kFinish = 8 };
  static void* Tag(Op op) { return reinterpret_cast<void*>(static_cast<uintptr_t>(op)); }

  // Cancels the call and ends it with `s` (a broken answer: the node's next one
  // could not be trusted either).
  absl::Status Fail(absl::Status s) {
    ctx_.TryCancel();
    (void)End();
    return s;
  }

  // Waits for the operations still pending (they complete once the call is over),
  // then for the call's status. Not OK: a call ends only when it fails.
  absl::Status End() {
    finished_ = true;
    void* tag;
    bool ok;
    if (pending_ != 0) ctx_.TryCancel();  // a read would otherwise wait for a message
    while (pending_ != 0 && cq_.Next(&tag, &ok)) pending_ &= ~static_cast<Op>(reinterpret_cast<uintptr_t>(tag));
    grpc::Status status;
    rw_->Finish(&status, Tag(kFinish));
    while (cq_.Next(&tag, &ok) && tag != Tag(kFinish)) {
    }
    absl::Status s = FromGrpcStatus(status);
    if (s.ok()) return absl::UnavailableError("the storage node ended the search stream");
    return s;
  }

  grpc::ClientContext ctx_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> rw_;
  uintptr_t pending_ = 0;  // Op bits of operations started and not yet reported
  bool finished_ = false;  // Finish has run
  grpc::ByteBuffer in_;
};

SearchStreams::SearchStreams(std::shared_ptr<grpc::Channel> channel, size_t max_idle)
    : stub_(std::move(channel)), max_idle_(max_idle) {}

SearchStreams::~SearchStreams() = default;

size_t SearchStreams::opened() const {
  std::lock_guard<std::mutex> l(mu_);
  return opened_;
}

std::unique_ptr<SearchStreams::Call> SearchStreams::Take(bool* reused) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Call> c = std::move(idle_.back());
      idle_.pop_back();
      *reused = true;
      return c;
    }
    ++opened_;
  }
  *reused = false;
  return std::make_unique<Call>(&stub_);
}

void SearchStreams::GiveBack(std::unique_ptr<Call> call) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(call));
      return;
    }
  }
  // `call` closes here, outside the lock.
}

absl::Status SearchStreams::Search(const grpc::ByteBuffer& request, std::chrono::system_clock::time_point deadline,
                                   const std::function<void(grpc::ByteBuffer&&)>& on_message) {
  for (;;) {
    bool reused = false, got_message = false;
    std::unique_ptr<Call> call = Take(&reused);
    absl::Status s = call->Run(request, deadline, on_message, &got_message);
    if (call->healthy()) {
      GiveBack(std::move(call));
      return s;
    }
    // A call that waited idle may have ended meanwhile (the node restarted, or
    // ended its calls to stop). Nothing of the answer was handed on: run it anew.
    if (!reused || got_message || s.code() == absl::StatusCode::kDeadlineExceeded) return s;
  }
}

}  // namespace strata
