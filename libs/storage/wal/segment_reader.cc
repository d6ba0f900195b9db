#include "libs/storage/wal/segment_reader.h"

#include <algorithm>
#include <utility>

#include "spdlog/fmt/fmt.h"
#include "libs/storage/wal/record_format.h"

namespace strata::wal {
namespace {
constexpr size_t kReadAhead = 256 << 10;
}  // namespace

absl::StatusOr<std::unique_ptr<SegmentReader>> SegmentReader::Open(Env* env,
                                                                   const std::string& path,
                                                                   uint64_t segment,
                                                                   uint64_t limit) {
  auto file = env->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<SegmentReader> r(new SegmentReader(std::move(file).value(), path, limit));
  std::string header;
  size_t got = r->ReadUpTo(kSegmentHeaderSize, &header);
  if (!r->status_.ok()) return r->status_;
  if (got < kSegmentHeaderSize) {
    r->Fail(Problem::kTorn, fmt::format("segment header cut short ({} of {} bytes)", got,
                                        kSegmentHeaderSize));
  } else if (!CheckSegmentHeader(header, segment)) {
    r->Fail(Problem::kCorrupt, "bad segment header (magic, version or segment number)");
  } else {
    r->valid_end_ = kSegmentHeaderSize;
  }
  return r;
}

SegmentReader::SegmentReader(std::unique_ptr<SequentialFile> file, std::string path,
                             uint64_t limit)
    : file_(std::move(file)), path_(std::move(path)), limit_(limit) {}

void SegmentReader::Fail(Problem p, std::string reason) {
  problem_ = p;
  reason_ = std::move(reason);
  done_ = true;
}

size_t SegmentReader::ReadUpTo(size_t n, std::string* out) {
  out->clear();
  uint64_t allowed = limit_ - pos_;
  if (n > allowed) n = static_cast<size_t>(allowed);
  while (out->size() < n) {
    if (chunk_pos_ == chunk_.size()) {
      size_t want = n - out->size();
      if (want >= kReadAhead) {
        // Large payloads bypass the read-ahead buffer. Grow in steps so a damaged
        // length field cannot make us allocate far more than the file holds.
        size_t old = out->size();
        size_t step = std::min<size_t>(want, 8 << 20);
        out->resize(old + step);
        auto got = file_->Read(step, out->data() + old);
        if (!got.ok()) {
          status_ = got.status();
          out->resize(old);
          break;
        }
        out->resize(old + *got);
        pos_ += *got;
        if (*got < step) break;
        continue;
      }
      chunk_.resize(kReadAhead);
      auto got = file_->Read(kReadAhead, chunk_.data());
      if (!got.ok()) {
        status_ = got.status();
        chunk_.clear();
        chunk_pos_ = 0;
        break;
      }
      chunk_.resize(*got);
      chunk_pos_ = 0;
      if (*got == 0) break;
    }
    size_t take = std::min(n - out->size(), chunk_.size() - chunk_pos_);
    out->append(chunk_, chunk_pos_, take);
    chunk_pos_ += take;
    pos_ += take;
  }
  return out->size();
}

absl::Status SegmentReader::SkipTo(uint64_t offset) {
  if (done_ || offset <= pos_) return absl::OkStatus();
  uint64_t skip = offset - pos_;
  uint64_t buffered = chunk_.size() - chunk_pos_;
  if (skip <= buffered) {
    chunk_pos_ += static_cast<size_t>(skip);
  } else {
    absl::Status s = file_->Skip(skip - buffered);
    if (!s.ok()) return status_ = s;
    chunk_.clear();
    chunk_pos_ = 0;
  }
  pos_ = offset;
  valid_end_ = offset;
  return absl::OkStatus();
}

bool SegmentReader::RestIsZero() {
  std::string chunk;
  while (ReadUpTo(kReadAhead, &chunk) > 0) {
    if (chunk.find_first_not_of('\0') != std::string::npos) return false;
  }
  return status_.ok();
}

bool SegmentReader::Next(Record* rec) {
  if (done_) return false;
  const uint64_t start = pos_;
  size_t got = ReadUpTo(kRecordHeaderSize, &header_buf_);
  if (!status_.ok()) return false;
  if (got == 0) {
    done_ = true;  // clean end
    return false;
  }
  if (header_buf_.find_first_not_of('\0') == std::string::npos && RestIsZero()) {
    done_ = true;  // zeros to the end of the file: preallocated space, a clean end
    return false;
  }
  if (!status_.ok()) return false;
  if (got < kRecordHeaderSize) {
    Fail(Problem::kTorn, fmt::format("record header cut short ({} of {} bytes)", got,
                                     kRecordHeaderSize));
    return false;
  }
  RecordHeader h = DecodeRecordHeader(header_buf_.data());
  if (h.type != kRecordTypeFull) {
    Fail(Problem::kCorrupt, fmt::format("bad record type {}", h.type));
    return false;
  }
  if (h.length > kMaxRecordSize) {
    Fail(Problem::kCorrupt, fmt::format("record length {} too large", h.length));
    return false;
  }
  got = ReadUpTo(h.length, &payload_buf_);
  if (!status_.ok()) return false;
  if (got < h.length) {
    Fail(Problem::kTorn, fmt::format("record payload cut short ({} of {} bytes)", got, h.length));
    return false;
  }
  if (RecordChecksum(h.type, payload_buf_) != h.checksum) {
    Fail(Problem::kCorrupt, "record checksum mismatch");
    return false;
  }
  rec->offset = start;
  rec->payload = payload_buf_;
  valid_end_ = pos_;
  return true;
}

}  // namespace strata::wal
