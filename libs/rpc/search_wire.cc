#include "libs/rpc/search_wire.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/encoding/block.h"
#include "libs/encoding/varint.h"
#include "libs/encoding/packed_samples.h"
#include "libs/rpc/wire_reader.h"
#include "libs/rpc/write_wire.h"

namespace strata {
namespace {

using wire::kLen;
using wire::kVarint;
using wire::Reader;

bool ParseBlock(Reader& r, std::string_view msg, BlockView* out) {
  static constexpr const char* kVarintNames[] = {"", "Block.min_time_ms", "Block.max_time_ms", "Block.samples"};
  static constexpr const char* kBytesNames[] = {"Block.data", "Block.raw_samples", "Block.packed_samples"};
  return r.Fields(msg, [&](uint32_t field, int wt, const char*& p, const char* end) {
    if (field >= 1 && field <= 3) {
      uint64_t v = 0;
      if (!r.Expect(p, wt, kVarint, kVarintNames[field]) || !r.Varint(p, end, &v)) return false;
      if (field == 1) out->min_time_ms = static_cast<int64_t>(v);
      if (field == 2) out->max_time_ms = static_cast<int64_t>(v);
      if (field == 3) out->samples = static_cast<uint32_t>(v);
      return true;
    }
    if (field >= 4 && field <= 6) {
      std::string_view* dst = field == 4 ? &out->data : field == 5 ? &out->raw_samples : &out->packed_samples;
      return r.Expect(p, wt, kLen, kBytesNames[field - 4]) && r.Len(p, end, dst);
    }
    return r.Skip(p, end, wt);
  });
}

bool ParseSeries(Reader& r, std::string_view msg, SearchSeriesView* out) {
  return r.Fields(msg, [&](uint32_t field, int wt, const char*& p, const char* end) {
    std::string_view sub;
    switch (field) {
      case 1:
        if (!r.Expect(p, wt, kLen, "SearchSeries.labels") || !r.Len(p, end, &sub)) return false;
        return wire::ReadLabel(r, sub, &out->labels.emplace_back());
      case 2:
        if (!r.Expect(p, wt, kLen, "SearchSeries.blocks") || !r.Len(p, end, &sub)) return false;
        return ParseBlock(r, sub, &out->blocks.emplace_back());
      case 3:
        return r.Expect(p, wt, kLen, "SearchSeries.label_entries") && r.Len(p, end, &out->label_entries);
      default:
        return r.Skip(p, end, wt);
    }
  });
}

}  // namespace

absl::Status ParseSearchResponse(std::string_view message, std::vector<SearchSeriesView>* out) {
  Reader r(message);
  const bool ok = r.Fields(message, [&](uint32_t field, int wt, const char*& p, const char* end) {
    if (field != 1) return r.Skip(p, end, wt);
    std::string_view sub;
    return r.Expect(p, wt, kLen, "SearchResponse.series") && r.Len(p, end, &sub) &&
           ParseSeries(r, sub, &out->emplace_back());
  });
  if (!ok) return absl::DataLossError(absl::StrCat("malformed SearchResponse: ", r.error()));
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

namespace {

// Appends a length-delimited field: tag (field, wire type 2), length, bytes.
void PutBytesField(uint32_t field, std::string_view bytes, std::string* out) {
  encoding::PutUvarint(out, (field << 3) | 2);
  encoding::PutUvarint(out, bytes.size());
  out->append(bytes);
}

// A varint field, left out when 0 (proto3).
void PutVarintField(uint32_t field, uint64_t v, std::string* out) {
  if (v == 0) return;
  encoding::PutUvarint(out, field << 3);
  encoding::PutUvarint(out, v);
}

}  // namespace

void AppendBlockField(int64_t min_time_ms, int64_t max_time_ms, uint32_t samples, BlockPayload kind,
                      std::string_view payload, std::string* out) {
  // The Block's size first, for its length prefix: a tag byte and a varint per set field.
  auto varint_size = [](uint64_t v) { return v == 0 ? 0 : 1 + encoding::UvarintLength(v); };
  const uint64_t size = varint_size(static_cast<uint64_t>(min_time_ms)) +
                        varint_size(static_cast<uint64_t>(max_time_ms)) + varint_size(samples) +
                        (payload.empty() ? 0 : 1 + encoding::UvarintLength(payload.size()) + payload.size());
  encoding::PutUvarint(out, (2 << 3) | 2);  // SearchSeries.blocks
  encoding::PutUvarint(out, size);
  PutVarintField(1, static_cast<uint64_t>(min_time_ms), out);
  PutVarintField(2, static_cast<uint64_t>(max_time_ms), out);
  PutVarintField(3, samples, out);
  if (!payload.empty()) PutBytesField(static_cast<uint32_t>(kind), payload, out);
}

void AppendLabelMessages(const Labels& labels, std::string* out) {
  for (const Label& l : labels) {
    const uint64_t size = (l.name.empty() ? 0 : 1 + encoding::UvarintLength(l.name.size()) + l.name.size()) +
                          (l.value.empty() ? 0 : 1 + encoding::UvarintLength(l.value.size()) + l.value.size());
    encoding::PutUvarint(out, (1 << 3) | 2);  // SearchSeries.labels
    encoding::PutUvarint(out, size);
    if (!l.name.empty()) PutBytesField(1, l.name, out);
    if (!l.value.empty()) PutBytesField(2, l.value, out);
  }
}

void AppendLabelEntriesField(std::string_view entries, std::string* out) {
  if (!entries.empty()) PutBytesField(3, entries, out);
}

void AppendSeriesField(std::string_view series, std::string* out) { PutBytesField(1, series, out); }

void AppendSearchEndField(const absl::Status& status, std::string* out) {
  std::string end;  // SearchEnd: code (field 1), message (field 2)
  PutVarintField(1, static_cast<uint64_t>(static_cast<int32_t>(status.code())), &end);
  if (!status.message().empty()) PutBytesField(2, std::string_view(status.message().data(), status.message().size()), &end);
  PutBytesField(2, end, out);  // SearchResponse.end
}

SearchEndRead ReadSearchEnd(std::string_view first_bytes, absl::Status* status, size_t* field_bytes) {
  if (first_bytes.empty() || static_cast<uint8_t>(first_bytes[0]) != kSearchEndTag) return SearchEndRead::kNotEnd;
  const char* p = first_bytes.data() + 1;
  const char* end = first_bytes.data() + first_bytes.size();
  Reader r(first_bytes);
  uint64_t len = 0;
  // A varint cut short by the end of `first_bytes`, or a field longer than them,
  // may be whole in the message.
  const char* q = p;
  while (q < end && static_cast<uint8_t>(*q) >= 0x80) ++q;
  if (q == end) return SearchEndRead::kIncomplete;
  if (!r.Varint(p, end, &len)) {
    *status = absl::DataLossError(absl::StrCat("malformed SearchResponse.end: ", r.error()));
    return SearchEndRead::kMalformed;
  }
  if (len > static_cast<uint64_t>(end - p)) return SearchEndRead::kIncomplete;
  const std::string_view msg(p, len);
  uint64_t code = 0;
  std::string_view text;
  const bool ok = r.Fields(msg, [&](uint32_t field, int wt, const char*& f, const char* fend) {
    if (field == 1) return r.Expect(f, wt, kVarint, "SearchEnd.code") && r.Varint(f, fend, &code);
    if (field == 2) return r.Expect(f, wt, kLen, "SearchEnd.message") && r.Len(f, fend, &text);
    return r.Skip(f, fend, wt);
  });
  if (!ok) {
    *status = absl::DataLossError(absl::StrCat("malformed SearchResponse.end: ", r.error()));
    return SearchEndRead::kMalformed;
  }
  const auto c = static_cast<int32_t>(code);
  if (c < 0 || c > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    *status = absl::DataLossError(absl::StrCat("SearchResponse.end has an unknown code ", c));
    return SearchEndRead::kMalformed;
  }
  *status = absl::Status(static_cast<absl::StatusCode>(c), absl::string_view(text.data(), text.size()));
  if (field_bytes != nullptr) *field_bytes = static_cast<size_t>(msg.data() + msg.size() - first_bytes.data());
  return SearchEndRead::kEnd;
}

}  // namespace strata
