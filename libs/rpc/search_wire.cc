#include "libs/rpc/search_wire.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/encoding/block.h"
#include "libs/encoding/packed_samples.h"
#include "libs/rpc/wire_reader.h"
#include "libs/rpc/write_wire.h"

namespace strata {
namespace {

using wire::kLen;
using wire::kVarint;
using wire::Reader;

bool ParseLabel(Reader& r, std::string_view msg, LabelRef* out) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  while (p < end) {
    uint32_t field;
    int wt;
    if (!r.Tag(p, end, &field, &wt)) return false;
    if (field == 1 || field == 2) {
      if (!r.Expect(p, wt, kLen, field == 1 ? "Label.name" : "Label.value") ||
          !r.Len(p, end, field == 1 ? &out->name : &out->value)) {
        return false;
      }
    } else if (!r.Skip(p, end, wt)) {
      return false;
    }
  }
  return true;
}

bool ParseBlock(Reader& r, std::string_view msg, BlockView* out) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  while (p < end) {
    uint32_t field;
    int wt;
    if (!r.Tag(p, end, &field, &wt)) return false;
    uint64_t v = 0;
    switch (field) {
      case 1:
      case 2:
      case 3:
        if (!r.Expect(p, wt, kVarint, field == 1 ? "Block.min_time_ms" : field == 2 ? "Block.max_time_ms" : "Block.samples") ||
            !r.Varint(p, end, &v)) {
          return false;
        }
        if (field == 1) out->min_time_ms = static_cast<int64_t>(v);
        if (field == 2) out->max_time_ms = static_cast<int64_t>(v);
        if (field == 3) out->samples = static_cast<uint32_t>(v);
        break;
      case 4:
        if (!r.Expect(p, wt, kLen, "Block.data") || !r.Len(p, end, &out->data)) return false;
        break;
      case 5:
        if (!r.Expect(p, wt, kLen, "Block.raw_samples") || !r.Len(p, end, &out->raw_samples)) return false;
        break;
      case 6:
        if (!r.Expect(p, wt, kLen, "Block.packed_samples") || !r.Len(p, end, &out->packed_samples)) return false;
        break;
      default:
        if (!r.Skip(p, end, wt)) return false;
    }
  }
  return true;
}

bool ParseSeries(Reader& r, std::string_view msg, SearchSeriesView* out) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  while (p < end) {
    uint32_t field;
    int wt;
    if (!r.Tag(p, end, &field, &wt)) return false;
    std::string_view sub;
    switch (field) {
      case 1:
        if (!r.Expect(p, wt, kLen, "SearchSeries.labels") || !r.Len(p, end, &sub)) return false;
        out->labels.emplace_back();
        if (!ParseLabel(r, sub, &out->labels.back())) return false;
        break;
      case 2:
        if (!r.Expect(p, wt, kLen, "SearchSeries.blocks") || !r.Len(p, end, &sub)) return false;
        out->blocks.emplace_back();
        if (!ParseBlock(r, sub, &out->blocks.back())) return false;
        break;
      case 3:
        if (!r.Expect(p, wt, kLen, "SearchSeries.label_entries") || !r.Len(p, end, &out->label_entries)) return false;
        break;
      default:
        if (!r.Skip(p, end, wt)) return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ParseSearchResponse(std::string_view message, std::vector<SearchSeriesView>* out) {
  Reader r(message);
  const char* p = message.data();
  const char* end = p + message.size();
  while (p < end) {
    uint32_t field;
    int wt;
    bool ok = r.Tag(p, end, &field, &wt);
    if (ok && field == 1) {
      std::string_view sub;
      ok = r.Expect(p, wt, kLen, "SearchResponse.series") && r.Len(p, end, &sub);
      if (ok) {
        out->emplace_back();
        ok = ParseSeries(r, sub, &out->back());
      }
    } else if (ok) {
      ok = r.Skip(p, end, wt);
    }
    if (!ok) return absl::DataLossError(absl::StrCat("malformed SearchResponse: ", r.error()));
  }
  return absl::OkStatus();
}

absl::Status DecodeBlockView(const BlockView& block, int64_t min_t, int64_t max_t, std::vector<Sample>* out) {
  if (!block.packed_samples.empty()) {
    if (!block.raw_samples.empty() || !block.data.empty()) {
      return absl::DataLossError("block carries packed samples and another form");
    }
    return DecodePackedSamples(block.packed_samples, block.samples, min_t, max_t, out);
  }
  if (block.raw_samples.empty()) return DecodeBlockRange(block.data, min_t, max_t, out);
  if (!block.data.empty()) return absl::DataLossError("block carries raw samples and encoded data");
  const std::string_view raw = block.raw_samples;
  if (raw.size() % 16 != 0 || raw.size() / 16 != block.samples) {
    return absl::DataLossError(absl::StrCat("raw block of ", raw.size(), " bytes does not hold ", block.samples,
                                            " samples of 16 bytes"));
  }
  const size_t n = raw.size() / 16, before = out->size();
  out->reserve(before + n);
  int64_t prev = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    Sample s;
    std::memcpy(&s.t, raw.data() + 16 * i, 8);
    std::memcpy(&s.v, raw.data() + 16 * i + 8, 8);
    if (i > 0 && s.t <= prev) {
      out->resize(before);
      return absl::DataLossError("raw block timestamps are not strictly ascending");
    }
    prev = s.t;
    if (s.t >= min_t && s.t <= max_t) out->push_back(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<Labels> LabelsOfEntries(std::string_view label_entries) {
  thread_local std::vector<LabelRef> refs;
  refs.clear();
  if (absl::Status s = LabelRefsOf(label_entries, &refs); !s.ok()) return s;
  auto by_name = [](const LabelRef& a, const LabelRef& b) { return a.name < b.name; };
  if (!std::is_sorted(refs.begin(), refs.end(), by_name)) std::sort(refs.begin(), refs.end(), by_name);
  if (std::any_of(refs.begin(), refs.end(), [](const LabelRef& r) { return r.value.empty(); })) {
    return absl::InvalidArgumentError("a label has an empty value");
  }
  if (absl::Status s = ValidateSortedLabels(refs); !s.ok()) return s;
  std::vector<Label> pairs;
  pairs.reserve(refs.size());
  for (const LabelRef& r : refs) pairs.push_back(Label{std::string(r.name), std::string(r.value)});
  return Labels::FromSortedUnchecked(std::move(pairs));
}

absl::StatusOr<Labels> LabelsOfSeriesView(const SearchSeriesView& series) {
  if (!series.label_entries.empty()) return LabelsOfEntries(series.label_entries);
  std::vector<Label> pairs;
  pairs.reserve(series.labels.size());
  for (const LabelRef& l : series.labels) pairs.push_back(Label{std::string(l.name), std::string(l.value)});
  return Labels::FromPairs(std::move(pairs));
}

}  // namespace strata
