#include "libs/promql/functions/label.h"

#include <re2/re2.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/absl_compat.h"

namespace strata::promql::fn {

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Parses the reference after a '$' as Go's regexp extract(): `name` or `{name}`.
// On success sets *name, *num (-1 when not a plain decimal without leading zero) and
// returns the number of bytes consumed; returns 0 when malformed.
size_t ExtractRef(std::string_view s, std::string_view* name, int* num) {
  if (s.empty()) return 0;
  bool brace = s[0] == '{';
  size_t start = brace ? 1 : 0;
  size_t i = start;
  while (i < s.size() && IsNameChar(s[i])) ++i;
  if (i == start) return 0;
  *name = s.substr(start, i - start);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return 0;
    ++i;
  }
  int n = 0;
  for (char c : *name) {
    if (c < '0' || c > '9' || n >= 100000000) {
      n = -1;
      break;
    }
    n = n * 10 + (c - '0');
  }
  if ((*name)[0] == '0' && name->size() > 1) n = -1;
  *num = n;
  return i;
}

}  // namespace

LabelReplacer::LabelReplacer(LabelReplacer&&) noexcept = default;
LabelReplacer& LabelReplacer::operator=(LabelReplacer&&) noexcept = default;
LabelReplacer::~LabelReplacer() = default;

absl::StatusOr<LabelReplacer> LabelReplacer::Create(std::string_view dst,
                                                    std::string_view replacement,
                                                    std::string_view src,
                                                    std::string_view regex) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(absl::StrCat("^(?:", Sv(regex), ")$"), opts);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid regular expression in label_replace(): ", Sv(regex)));
  }
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid destination label name in label_replace(): ", Sv(dst)));
  }
  LabelReplacer r;
  r.dst_ = std::string(dst);
  r.replacement_ = std::string(replacement);
  r.src_ = std::string(src);
  r.group_names_.assign(re->NumberOfCapturingGroups() + 1, "");
  for (const auto& [index, name] : re->CapturingGroupNames()) r.group_names_[index] = name;
  r.re_ = std::move(re);
  return r;
}

std::optional<std::string> LabelReplacer::Expand(std::string_view value) const {
  const size_t ngroups = group_names_.size();
  std::vector<re2::StringPiece> groups(ngroups);
  re2::StringPiece text(value.data(), value.size());
  if (!re_->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(),
                  static_cast<int>(ngroups))) {
    return std::nullopt;
  }
  auto append_group = [&](std::string& out, size_t i) {
    if (i < ngroups && groups[i].data() != nullptr) out.append(groups[i].data(), groups[i].size());
  };

  std::string out;
  std::string_view tmpl = replacement_;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name;
    int num = -1;
    size_t used = ExtractRef(tmpl, &name, &num);
    if (used == 0) {
      out.push_back('$');  // malformed: the '$' is literal text
      continue;
    }
    tmpl.remove_prefix(used);
    if (num >= 0) {
      append_group(out, static_cast<size_t>(num));
    } else {
      for (size_t i = 0; i < ngroups; ++i) {
        if (group_names_[i] == name) {
          append_group(out, i);
          break;
        }
      }
    }
  }
  out.append(tmpl);
  return out;
}

Labels LabelReplacer::Apply(const Labels& in) const {
  std::optional<std::string> res = Expand(in.Get(src_));
  if (!res) return in;
  LabelsBuilder b(in);
  b.Del(dst_);
  if (!res->empty()) b.Set(dst_, *res);
  return b.Build();
}

absl::StatusOr<Labels> LabelReplace(const Labels& in, std::string_view dst,
                                    std::string_view replacement, std::string_view src,
                                    std::string_view regex) {
  auto r = LabelReplacer::Create(dst, replacement, src, regex);
  if (!r.ok()) return r.status();
  return r->Apply(in);
}

absl::StatusOr<LabelJoiner> LabelJoiner::Create(std::string_view dst, std::string_view separator,
                                                std::vector<std::string> srcs) {
  for (const std::string& s : srcs) {
    if (!IsValidLabelName(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid source label name in label_join(): ", s));
    }
  }
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid destination label name in label_join(): ", Sv(dst)));
  }
  LabelJoiner j;
  j.dst_ = std::string(dst);
  j.separator_ = std::string(separator);
  j.srcs_ = std::move(srcs);
  return j;
}

Labels LabelJoiner::Apply(const Labels& in) const {
  std::string joined;
  for (size_t i = 0; i < srcs_.size(); ++i) {
    if (i > 0) joined.append(separator_);
    std::string_view v = in.Get(srcs_[i]);
    joined.append(v.data(), v.size());
  }
  LabelsBuilder b(in);
  if (joined.empty()) {
    b.Del(dst_);
  } else {
    b.Set(dst_, joined);
  }
  return b.Build();
}

absl::StatusOr<Labels> LabelJoin(const Labels& in, std::string_view dst,
                                 std::string_view separator, std::vector<std::string> srcs) {
  auto j = LabelJoiner::Create(dst, separator, std::move(srcs));
  if (!j.ok()) return j.status();
  return j->Apply(in);
}

}  // namespace strata::promql::fn
