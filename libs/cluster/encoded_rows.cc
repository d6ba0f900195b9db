#include "libs/cluster/encoded_rows.h"

#include <cstring>

namespace strata {
namespace {

// Protobuf wire tags (field << 3 | wire type) of proto/storage.proto.
constexpr uint8_t kWriteRequestSeries = (1 << 3) | 2;
constexpr uint8_t kTimeSeriesAccount = (1 << 3) | 0;
constexpr uint8_t kTimeSeriesProject = (2 << 3) | 0;
constexpr uint8_t kTimeSeriesLabel = (3 << 3) | 2;
constexpr uint8_t kTimeSeriesSample = (4 << 3) | 2;
constexpr uint8_t kLabelName = (1 << 3) | 2;
constexpr uint8_t kLabelValue = (2 << 3) | 2;
constexpr uint8_t kSampleTimestamp = (1 << 3) | 0;
constexpr uint8_t kSampleValue = (2 << 3) | 1;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* PutBytes(char* p, uint8_t tag, std::string_view s) {
  *p++ = static_cast<char>(tag);
  p = PutVarint(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

size_t LabelSize(const LabelRef& l) {
  return 1 + VarintSize(l.name.size()) + l.name.size() + 1 + VarintSize(l.value.size()) + l.value.size();
}

size_t SampleSize(const Sample& s) { return 1 + VarintSize(static_cast<uint64_t>(s.t)) + 1 + 8; }

}  // namespace

void EncodedRows::Add(Tenant tenant, std::span<const LabelRef> sorted, std::span<const Sample> samples) {
  size_t body = 0;
  if (tenant.account_id != 0) body += 1 + VarintSize(tenant.account_id);
  if (tenant.project_id != 0) body += 1 + VarintSize(tenant.project_id);
  for (const LabelRef& l : sorted) {
    size_t n = LabelSize(l);
    body += 1 + VarintSize(n) + n;
  }
  for (const Sample& s : samples) {
    size_t n = SampleSize(s);
    body += 1 + VarintSize(n) + n;
  }
  const size_t entry = 1 + VarintSize(body) + body;

  const size_t offset = buf_.size();
  buf_.resize(offset + entry);
  char* p = buf_.data() + offset;
  *p++ = static_cast<char>(kWriteRequestSeries);
  p = PutVarint(p, body);
  if (tenant.account_id != 0) {
    *p++ = static_cast<char>(kTimeSeriesAccount);
    p = PutVarint(p, tenant.account_id);
  }
  if (tenant.project_id != 0) {
    *p++ = static_cast<char>(kTimeSeriesProject);
    p = PutVarint(p, tenant.project_id);
  }
  for (const LabelRef& l : sorted) {
    *p++ = static_cast<char>(kTimeSeriesLabel);
    p = PutVarint(p, LabelSize(l));
    p = PutBytes(p, kLabelName, l.name);
    p = PutBytes(p, kLabelValue, l.value);
  }
  for (const Sample& s : samples) {
    *p++ = static_cast<char>(kTimeSeriesSample);
    p = PutVarint(p, SampleSize(s));
    *p++ = static_cast<char>(kSampleTimestamp);
    p = PutVarint(p, static_cast<uint64_t>(s.t));
    *p++ = static_cast<char>(kSampleValue);
    std::memcpy(p, &s.v, 8);  // fixed64 is little-endian, as is this machine
    p += 8;
  }
  rows_.push_back(Row{HashSortedLabels(sorted), offset, static_cast<uint32_t>(entry),
                      static_cast<uint32_t>(samples.size())});
  total_samples_ += samples.size();
}

void EncodedRows::Clear() {
  buf_.clear();
  rows_.clear();
  total_samples_ = 0;
}

}  // namespace strata
