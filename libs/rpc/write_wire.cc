#include "libs/rpc/write_wire.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/common/short_copy.h"
#include "libs/rpc/wire_reader.h"

namespace strata {
namespace {

using wire::Reader;
using wire::kFixed32;
using wire::kFixed64;
using wire::kLen;
using wire::kVarint;

static_assert(std::endian::native == std::endian::little, "fixed64 values are copied as they are in memory");

// Wire types and the tags (field << 3 | wire type) of proto/storage.proto.
constexpr uint8_t kWriteRequestSeries = (1 << 3) | kLen;
constexpr uint8_t kTimeSeriesAccount = (1 << 3) | kVarint;
constexpr uint8_t kTimeSeriesProject = (2 << 3) | kVarint;
constexpr uint8_t kTimeSeriesLabel = (3 << 3) | kLen;
constexpr uint8_t kTimeSeriesSample = (4 << 3) | kLen;
constexpr uint8_t kTimeSeriesSeriesId = (5 << 3) | kFixed64;
constexpr uint8_t kLabelName = (1 << 3) | kLen;
constexpr uint8_t kLabelValue = (2 << 3) | kLen;
constexpr uint8_t kSampleTimestamp = (1 << 3) | kVarint;
constexpr uint8_t kSampleValue = (2 << 3) | kFixed64;

size_t VarintSize(uint64_t v) { return (std::bit_width(v | 1) + 6) / 7; }

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Tolerates an empty view (whose data() may be null).
char* PutRaw(char* p, std::string_view s) { return CopyShort(p, s.data(), s.size()); }

size_t LabelSize(const LabelRef& l) {
  return 1 + VarintSize(l.name.size()) + l.name.size() + 1 + VarintSize(l.value.size()) + l.value.size();
}
size_t SampleSize(const Sample& s) { return 1 + VarintSize(static_cast<uint64_t>(s.t)) + 1 + 8; }

size_t TenantSize(Tenant t) {
  return (t.account_id ? 1 + VarintSize(t.account_id) : 0) + (t.project_id ? 1 + VarintSize(t.project_id) : 0);
}

size_t SamplesSize(std::span<const Sample> samples) {
  size_t n = 0;
  for (const Sample& s : samples) n += 1 + VarintSize(SampleSize(s)) + SampleSize(s);
  return n;
}

// Grows *out by one entry whose TimeSeries is `body` bytes; returns where the body goes.
char* StartEntry(std::string* out, size_t body, Tenant t) {
  const size_t offset = out->size();
  out->resize(offset + 1 + VarintSize(body) + body);
  char* p = out->data() + offset;
  *p++ = static_cast<char>(kWriteRequestSeries);
  p = PutVarint(p, body);
  if (t.account_id != 0) {
    *p++ = static_cast<char>(kTimeSeriesAccount);
    p = PutVarint(p, t.account_id);
  }
  if (t.project_id != 0) {
    *p++ = static_cast<char>(kTimeSeriesProject);
    p = PutVarint(p, t.project_id);
  }
  return p;
}

void PutSamples(char* p, std::span<const Sample> samples) {
  for (const Sample& s : samples) {
    *p++ = static_cast<char>(kTimeSeriesSample);
    p = PutVarint(p, SampleSize(s));
    *p++ = static_cast<char>(kSampleTimestamp);
    p = PutVarint(p, static_cast<uint64_t>(s.t));
    *p++ = static_cast<char>(kSampleValue);
    std::memcpy(p, &s.v, 8);
    p += 8;
  }
}

bool DecodeSample(Reader& r, std::string_view msg, Sample* out) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  *out = Sample{0, 0};
  while (p < end) {
    uint32_t field;
    int wt;
    if (!r.Tag(p, end, &field, &wt)) return false;
    if (field == 1) {
      uint64_t v;
      if (!r.Expect(p, wt, kVarint, "Sample.timestamp_ms") || !r.Varint(p, end, &v)) return false;
      out->t = static_cast<int64_t>(v);
    } else if (field == 2) {
      uint64_t bits;
      if (!r.Expect(p, wt, kFixed64, "Sample.value") || !r.Fixed64(p, end, &bits)) return false;
      std::memcpy(&out->v, &bits, 8);
    } else if (!r.Skip(p, end, wt)) {
      return false;
    }
  }
  return true;
}

bool DecodeTimeSeries(Reader& r, std::string_view ts, DecodedWrite* out) {
  DecodedRow row;
  row.first_sample = static_cast<uint32_t>(out->samples.size());
  const char* p = ts.data();
  const char* end = p + ts.size();
  const char* labels_begin = nullptr;
  const char* labels_end = nullptr;
  bool scattered = false;
  std::string gathered;
  while (p < end) {
    const char* field_start = p;
    uint32_t field;
    int wt;
    if (!r.Tag(p, end, &field, &wt)) return false;
    uint64_t v = 0;
    std::string_view sub;
    switch (field) {
      case 1:
      case 2:
        if (!r.Expect(p, wt, kVarint, field == 1 ? "TimeSeries.account_id" : "TimeSeries.project_id") ||
            !r.Varint(p, end, &v)) {
          return false;
        }
        (field == 1 ? row.tenant.account_id : row.tenant.project_id) = static_cast<uint32_t>(v);
        break;
      case 3:
        if (!r.Expect(p, wt, kLen, "TimeSeries.labels") || !r.Len(p, end, &sub)) return false;
        if (labels_begin == nullptr) {
          labels_begin = field_start;
        } else if (labels_end != field_start && !scattered) {
          scattered = true;
          gathered.assign(labels_begin, labels_end);
        }
        if (scattered) gathered.append(field_start, p);
        labels_end = p;
        break;
      case 4: {
        if (!r.Expect(p, wt, kLen, "TimeSeries.samples") || !r.Len(p, end, &sub)) return false;
        Sample s;
        if (!DecodeSample(r, sub, &s)) return false;
        out->samples.push_back(s);
        break;
      }
      case 5:
        if (!r.Expect(p, wt, kFixed64, "TimeSeries.series_id") || !r.Fixed64(p, end, &v)) return false;
        row.series_id = v;
        row.has_series_id = true;
        break;
      default:
        if (!r.Skip(p, end, wt)) return false;
    }
  }
  if (scattered) {
    out->gathered.push_back(std::move(gathered));
    row.labels = out->gathered.back();
  } else if (labels_begin != nullptr) {
    row.labels = std::string_view(labels_begin, labels_end - labels_begin);
  }
  row.num_samples = static_cast<uint32_t>(out->samples.size() - row.first_sample);
  out->rows.push_back(row);
  return true;
}

}  // namespace

namespace {

size_t LabelEntriesSize(std::span<const LabelRef> labels) {
  size_t n = 0;
  for (const LabelRef& l : labels) n += 1 + VarintSize(LabelSize(l)) + LabelSize(l);
  return n;
}

char* PutLabelEntries(char* p, std::span<const LabelRef> labels) {
  for (const LabelRef& l : labels) {
    *p++ = static_cast<char>(kTimeSeriesLabel);
    p = PutVarint(p, LabelSize(l));
    *p++ = static_cast<char>(kLabelName);
    p = PutRaw(PutVarint(p, l.name.size()), l.name);
    *p++ = static_cast<char>(kLabelValue);
    p = PutRaw(PutVarint(p, l.value.size()), l.value);
  }
  return p;
}

}  // namespace

void AppendLabelEntries(std::string* out, std::span<const LabelRef> labels) {
  const size_t at = out->size();
  out->resize(at + LabelEntriesSize(labels));
  PutLabelEntries(out->data() + at, labels);
}

void AppendSeriesEntry(std::string* out, Tenant tenant, std::span<const LabelRef> labels,
                       std::span<const Sample> samples) {
  char* p = StartEntry(out, TenantSize(tenant) + LabelEntriesSize(labels) + SamplesSize(samples), tenant);
  PutSamples(PutLabelEntries(p, labels), samples);
}

void AppendSeriesEntry(std::string* out, Tenant tenant, std::string_view label_entries,
                       std::span<const Sample> samples) {
  char* p = StartEntry(out, TenantSize(tenant) + label_entries.size() + SamplesSize(samples), tenant);
  PutSamples(PutRaw(p, label_entries), samples);
}

void AppendRefEntry(std::string* out, Tenant tenant, uint64_t series_id, std::span<const Sample> samples) {
  char* p = StartEntry(out, TenantSize(tenant) + 1 + 8 + SamplesSize(samples), tenant);
  *p++ = static_cast<char>(kTimeSeriesSeriesId);
  std::memcpy(p, &series_id, 8);
  PutSamples(p + 8, samples);
}

void DecodedWrite::Clear() {
  rows.clear();
  samples.clear();
  gathered.clear();
}

absl::Status DecodeWriteRequest(std::string_view raw, DecodedWrite* out) {
  out->Clear();
  Reader r(raw);
  const bool ok = r.Fields(raw, [&](uint32_t field, int wt, const char*& p, const char* end) {
    if (field != 1) return r.Skip(p, end, wt);
    std::string_view ts;
    return r.Expect(p, wt, kLen, "WriteRequest.series") && r.Len(p, end, &ts) && DecodeTimeSeries(r, ts, out);
  });
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("series ", out->rows.size(), ": ", r.error()));
  return absl::OkStatus();
}

absl::Status LabelRefsOf(std::string_view label_entries, std::vector<LabelRef>* out) {
  Reader r(label_entries);
  const bool ok = r.Fields(label_entries, [&](uint32_t, int wt, const char*& p, const char* end) {
    std::string_view msg;
    LabelRef l;
    if (!r.Expect(p, wt, kLen, "TimeSeries.labels") || !r.Len(p, end, &msg) || !wire::ReadLabel(r, msg, &l)) {
      return false;
    }
    out->push_back(l);
    return true;
  });
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("malformed label: ", r.error()));
  return absl::OkStatus();
}

}  // namespace strata
