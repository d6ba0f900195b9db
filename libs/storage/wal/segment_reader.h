// SegmentReader: reads the records of one WAL segment file in order and says
// exactly where and why it stopped. Internal to libs/storage/wal (Open() uses it to
// find a torn tail, Replay() to deliver records).
//
//   STRATA_ASSIGN_OR_RETURN(auto r, SegmentReader::Open(env, path, 7, kNoLimit));
//   SegmentReader::Record rec;
//   while (r->Next(&rec)) use(rec.payload, rec.offset);
//   if (!r->status().ok()) return r->status();          // IO error
//   if (r->problem() != SegmentReader::Problem::kNone)   // torn or corrupt at
//     log(r->problem_offset(), r->problem_reason());     //   r->valid_end()
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/storage/wal/env.h"

namespace strata::wal {

class SegmentReader {
 public:
  static constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

  enum class Problem {
    kNone,       // clean end of file (or of the limit, or zeros to the end: preallocation)
    kTorn,       // the file ends inside a header or record: an interrupted write
    kCorrupt,    // bad magic/segment number, bad type, length or checksum
  };

  struct Record {
    uint64_t offset = 0;       // where the record's header starts
    std::string_view payload;  // valid until the next Next()
  };

  // Opens segment `segment` at `path` and checks its header (a missing or bad
  // header is reported through problem(), not here). Reads stop at byte `limit`
  // (exclusive), which must be a record boundary. Errors: the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<SegmentReader>> Open(Env* env, const std::string& path,
                                                             uint64_t segment, uint64_t limit);

  // Positions the reader at `offset`, which must be a record boundary at or past
  // the header (a wrong one shows up as corruption). REQUIRES: before any Next().
  absl::Status SkipTo(uint64_t offset);

  // Reads the next record into `*rec`. False at the end, on a problem, or on an
  // IO error (see status()).
  bool Next(Record* rec);

  // OK unless reading failed.
  const absl::Status& status() const { return status_; }
  Problem problem() const { return problem_; }
  // Offset of the first byte that is not part of a valid record (for kNone this
  // is the end); everything before it is good.
  uint64_t valid_end() const { return valid_end_; }
  // What was wrong, for logs ("" for kNone).
  const std::string& problem_reason() const { return reason_; }

 private:
  SegmentReader(std::unique_ptr<SequentialFile> file, std::string path, uint64_t limit);

  // Reads exactly `n` bytes into `out` unless the file (or limit) ends first;
  // returns how many were read.
  size_t ReadUpTo(size_t n, std::string* out);
  void Fail(Problem p, std::string reason);
  // Reads to the end (or limit); true when every byte left is zero. Used only at
  // a record boundary whose header bytes are zero, where the reader stops either way.
  bool RestIsZero();

  std::unique_ptr<SequentialFile> file_;
  std::string path_;
  uint64_t limit_;
  uint64_t pos_ = 0;  // bytes consumed from the file
  uint64_t valid_end_ = 0;
  bool done_ = false;
  Problem problem_ = Problem::kNone;
  std::string reason_;
  absl::Status status_;
  std::string header_buf_;
  std::string payload_buf_;
  std::string chunk_;          // read-ahead buffer
  size_t chunk_pos_ = 0;
};

}  // namespace strata::wal
