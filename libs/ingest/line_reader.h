// LineReader: splits a text body into lines in place, counting line numbers.
// Internal to libs/ingest.
//
//   LineReader lines(body);
//   std::string_view line;
//   while (lines.Next(&line)) { ... lines.line_number() ... }
//
// Lines end at '\n'; a trailing '\r' is dropped; the last line needs no terminator.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata::ingest {

class LineReader {
 public:
  explicit LineReader(std::string_view body) : rest_(body) {}

  // Stores the next line in *line and returns true, or returns false at the end.
  bool Next(std::string_view* line) {
    if (rest_.empty()) return false;
    size_t nl = rest_.find('\n');
    std::string_view l;
    if (nl == std::string_view::npos) {
      l = rest_;
      rest_ = {};
    } else {
      l = rest_.substr(0, nl);
      rest_.remove_prefix(nl + 1);
    }
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    ++line_number_;
    *line = l;
    return true;
  }

  // 1-based number of the line last returned by Next().
  uint64_t line_number() const { return line_number_; }

 private:
  std::string_view rest_;
  uint64_t line_number_ = 0;
};

// True when `line` holds only spaces and tabs.
inline bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

// `s` without leading and trailing spaces and tabs.
inline std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace strata::ingest
