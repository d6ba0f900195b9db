// label_replace() and label_join() with Prometheus 2.42's rules.
//
//   auto r = fn::LabelReplacer::Create("svc", "$1", "job", "(.*)-api");
//   if (!r.ok()) return r.status();     // bad regex or bad destination label name
//   Labels out = r->Apply(series_labels);
//
//   auto j = fn::LabelJoiner::Create("addr", ":", {"host", "port"});
//   Labels out2 = j->Apply(series_labels);
//
// Create() validates once per evaluation (Prometheus raises these errors even when
// the input vector is empty); Apply() is per series and cannot fail. The engine keeps
// the metric name (label_* functions do not drop it) and must report
// "vector cannot contain metrics with the same labelset" if two outputs collide.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/labels.h"

namespace re2 {
class RE2;
}

namespace strata::promql::fn {

class LabelReplacer {
 public:
  // Compiles `regex` fully anchored, as "^(?:" + regex + ")$" (RE2 syntax, like Go's
  // regexp). Errors (InvalidArgument), checked in this order:
  //   "invalid regular expression in label_replace(): <regex>"
  //   "invalid destination label name in label_replace(): <dst>"
  static absl::StatusOr<LabelReplacer> Create(std::string_view dst, std::string_view replacement,
                                              std::string_view src, std::string_view regex);

  // If the value of `src` ("" when absent) matches, returns `in` with `dst` set to
  // the expanded replacement (deleted when the expansion is empty); otherwise `in`
  // unchanged. Expansion follows Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a
  // literal $; a name is the longest run of letters, digits and '_' ($1x means
  // ${1x}); unknown or unmatched groups expand to ""; a malformed $ stays literal.
  Labels Apply(const Labels& in) const;

  // The expanded replacement for a source label value (Go's Regexp.Expand of the
  // replacement template against the match), or nullopt when `value` does not match.
  std::optional<std::string> Expand(std::string_view value) const;

  LabelReplacer(LabelReplacer&&) noexcept;
  LabelReplacer& operator=(LabelReplacer&&) noexcept;
  ~LabelReplacer();

 private:
  LabelReplacer() = default;
  std::string dst_;
  std::string replacement_;
  std::string src_;
  std::unique_ptr<re2::RE2> re_;
  std::vector<std::string> group_names_;  // index -> name ("" when unnamed)
};

// One-shot form of LabelReplacer (compiles the regex on every call).
absl::StatusOr<Labels> LabelReplace(const Labels& in, std::string_view dst,
                                    std::string_view replacement, std::string_view src,
                                    std::string_view regex);

class LabelJoiner {
 public:
  // Errors (InvalidArgument), in this order: every source name is checked
  //   "invalid source label name in label_join(): <src>"
  // then "invalid destination label name in label_join(): <dst>".
  static absl::StatusOr<LabelJoiner> Create(std::string_view dst, std::string_view separator,
                                            std::vector<std::string> srcs);

  // `in` with `dst` set to the values of the sources (absent ones as "") joined by
  // the separator; `dst` deleted when that string is empty.
  Labels Apply(const Labels& in) const;

 private:
  LabelJoiner() = default;
  std::string dst_;
  std::string separator_;
  std::vector<std::string> srcs_;
};

// One-shot form of LabelJoiner.
absl::StatusOr<Labels> LabelJoin(const Labels& in, std::string_view dst,
                                 std::string_view separator, std::vector<std::string> srcs);

}  // namespace strata::promql::fn
