#include "libs/model/labels.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/common/short_copy.h"
#include "libs/model/string_escape.h"
// Inlined: the same functions and results as libxxhash's, without a call into the
// shared library for every short key (series keys and placement scores are hot).
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace strata {
namespace {

// Character classes of label and metric names (the first character's check).
enum : uint8_t { kAlpha = 1, kDigit = 2, kColon = 4 };
constexpr std::array<uint8_t, 256> kNameChars = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kAlpha;
  t['_'] = kAlpha;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t[':'] = kColon;
  return t;
}();

// Whether every byte of `s` is in `classes`.
[[gnu::always_inline]] inline bool AllIn(std::string_view s, uint8_t classes) {
  bool bad = false;  // no branch per byte: names are short and nearly always valid
  for (char c : s) bad |= (kNameChars[static_cast<unsigned char>(c)] & classes) == 0;
  return !bad;
}

constexpr char kSep = '\xff';

// Label values are nearly always ASCII (valid UTF-8): checked inline, 8 bytes at a
// time, before the full UTF-8 check.
bool IsAscii(std::string_view s) {
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    high |= word;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ULL) == 0;
}

// Inline forms for CheckSorted, which runs on every ingested row.
[[gnu::always_inline]] inline bool LabelNameOk(std::string_view name) {
  return !name.empty() && (kNameChars[static_cast<unsigned char>(name[0])] & kAlpha) && AllIn(name, kAlpha | kDigit);
}
[[gnu::always_inline]] inline bool MetricNameOk(std::string_view name) {
  return !name.empty() && (kNameChars[static_cast<unsigned char>(name[0])] & (kAlpha | kColon)) &&
         AllIn(name, kAlpha | kDigit | kColon);
}
}  // namespace

bool IsValidLabelName(std::string_view name) { return LabelNameOk(name); }

bool IsValidMetricName(std::string_view name) { return MetricNameOk(name); }

namespace {
// Shared by the owning (Label) and the view (LabelRef) forms.
template <typename L>
absl::Status CheckSorted(std::span<const L> sorted) {
  for (size_t i = 0; i < sorted.size(); ++i) {
    const L& l = sorted[i];
    if (!LabelNameOk(l.name)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid label name \"", CEscapeForMessage(l.name), "\""));
    }
    if (i > 0 && sorted[i - 1].name == l.name) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate label name \"", Sv(l.name), "\""));
    }
    if (!IsAscii(l.value) && !IsValidUtf8(l.value)) {
      return absl::InvalidArgumentError(absl::StrCat("label \"", Sv(l.name), "\" has a value that is not valid UTF-8"));
    }
    if (l.name == kMetricName && !MetricNameOk(l.value)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid metric name \"", CEscapeForMessage(l.value), "\""));
    }
  }
  return absl::OkStatus();
}

template <typename L, typename Pred>
uint64_t HashSelected(std::span<const L> items, Pred keep) {
  XXH64_state_t* st = XXH64_createState();
  XXH64_reset(st, 0);
  for (const L& l : items) {
    if (!keep(l)) continue;
    XXH64_update(st, l.name.data(), l.name.size());
    XXH64_update(st, &kSep, 1);
    XXH64_update(st, l.value.data(), l.value.size());
    XXH64_update(st, &kSep, 1);
  }
  uint64_t h = XXH64_digest(st);
  XXH64_freeState(st);
  return h;
}

template <typename L>
uint64_t HashAll(std::span<const L> items) {
  // Fast path: one contiguous buffer for typical series sizes.
  size_t n = 0;
  for (const L& l : items) n += l.name.size() + l.value.size() + 2;
  if (n <= 1024) {
    char buf[1024];
    char* p = buf;
    for (const L& l : items) {
      p = CopyShort(p, l.name.data(), l.name.size());
      *p++ = kSep;
      p = CopyShort(p, l.value.data(), l.value.size());
      *p++ = kSep;
    }
    return XXH64(buf, n, 0);
  }
  return HashSelected(items, [](const L&) { return true; });
}
}  // namespace

absl::Status ValidateSortedLabels(std::span<const LabelRef> sorted) { return CheckSorted(sorted); }

uint64_t HashSortedLabels(std::span<const LabelRef> sorted) { return HashAll(sorted); }

absl::StatusOr<Labels> Labels::FromPairs(std::vector<Label> pairs) {
  std::erase_if(pairs, [](const Label& l) { return l.value.empty(); });
  std::sort(pairs.begin(), pairs.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  if (absl::Status s = CheckSorted(std::span<const Label>(pairs)); !s.ok()) return s;
  Labels out;
  out.items_ = std::move(pairs);
  return out;
}

Labels Labels::FromSortedUnchecked(std::vector<Label> sorted) {
  Labels out;
  out.items_ = std::move(sorted);
  return out;
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != items_.end() && it->name == name) return it->value;
  return {};
}

uint64_t Labels::Hash() const { return HashAll(std::span<const Label>(items_)); }

uint64_t Labels::HashFor(const std::vector<std::string>& names) const {
  return HashSelected(std::span<const Label>(items_),
                      [&](const Label& l) { return std::binary_search(names.begin(), names.end(), l.name); });
}

uint64_t Labels::HashWithout(const std::vector<std::string>& names) const {
  return HashSelected(std::span<const Label>(items_), [&](const Label& l) {
    return l.name != kMetricName && !std::binary_search(names.begin(), names.end(), l.name);
  });
}

std::string Labels::ToString() const {
  std::string out;
  std::string_view name = MetricName();
  out.append(name);
  out.push_back('{');
  bool first = true;
  for (const Label& l : items_) {
    if (l.name == kMetricName) continue;
    if (!first) out.append(", ");
    first = false;
    absl::StrAppend(&out, l.name, "=", GoQuote(l.value));
  }
  out.push_back('}');
  if (!name.empty() && out.size() == name.size() + 2) out.resize(name.size());
  return out;
}

Labels Labels::WithoutMetricName() && {
  Labels out = std::move(*this);
  auto it = std::find_if(out.items_.begin(), out.items_.end(), [](const Label& l) { return l.name == kMetricName; });
  if (it != out.items_.end()) out.items_.erase(it);
  return out;
}

Labels Labels::WithoutMetricName() const& {
  Labels out;
  out.items_.reserve(items_.size());
  for (const Label& l : items_) {
    if (l.name != kMetricName) out.items_.push_back(l);
  }
  return out;
}

int Labels::Compare(const Labels& a, const Labels& b) {
  size_t n = std::min(a.items_.size(), b.items_.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a.items_[i].name.compare(b.items_[i].name); c != 0) return c < 0 ? -1 : 1;
    if (int c = a.items_[i].value.compare(b.items_[i].value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.items_.size() == b.items_.size()) return 0;
  return a.items_.size() < b.items_.size() ? -1 : 1;
}

bool operator<(const Labels& a, const Labels& b) { return Labels::Compare(a, b) < 0; }

LabelsBuilder::LabelsBuilder(const Labels& base) : items_(base.items()) {}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  bool found = it != items_.end() && it->name == name;
  if (value.empty()) {
    if (found) items_.erase(it);
  } else if (found) {
    it->value = std::string(value);
  } else {
    items_.insert(it, Label{std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) { return Set(name, {}); }

std::string_view LabelsBuilder::Get(std::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != items_.end() && it->name == name) return it->value;
  return {};
}

Labels LabelsBuilder::Build() const { return Labels::FromSortedUnchecked(items_); }

}  // namespace strata
