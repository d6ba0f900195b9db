// ScratchStrings: reusable string buffers for values a parser must rewrite
// (unescaped label values, sanitized names, "measurement_field" metric names).
// Internal to libs/ingest.
//
//   scratch.Reset();                    // at the start of every row
//   std::string& s = scratch.Next();    // empty, capacity kept from earlier rows
//   s.append(...); view = s;            // stays valid until the next Reset()
//
// Buffers live in a deque, so taking a new one never moves earlier ones, and after
// the first few rows no call allocates.
#pragma once

#include <deque>
#include <string>

namespace strata::ingest {

class ScratchStrings {
 public:
  void Reset() { used_ = 0; }

  // An empty buffer valid until the next Reset().
  std::string& Next() {
    if (used_ == buffers_.size()) buffers_.emplace_back();
    std::string& s = buffers_[used_++];
    s.clear();
    return s;
  }

 private:
  std::deque<std::string> buffers_;
  size_t used_ = 0;
};

}  // namespace strata::ingest
