#include "libs/cluster/encoded_rows.h"

#include "libs/rpc/write_wire.h"

namespace strata {

void EncodedRows::Add(Tenant tenant, std::span<const LabelRef> sorted, std::span<const Sample> samples) {
  const size_t offset = buf_.size();
  AppendSeriesEntry(&buf_, tenant, sorted, samples);
  Push(Finish(tenant, HashSortedLabels(sorted), offset, samples));
}

void EncodedRows::AddEncoded(Tenant tenant, uint64_t key, std::string_view label_entries,
                             std::span<const Sample> samples) {
  Push(Encode(tenant, key, label_entries, samples));
}

EncodedRows::Row EncodedRows::Encode(Tenant tenant, uint64_t key, std::string_view label_entries,
                                     std::span<const Sample> samples) {
  const size_t offset = buf_.size();
  AppendSeriesEntry(&buf_, tenant, label_entries, samples);
  return Finish(tenant, key, offset, samples);
}

EncodedRows::Row EncodedRows::Finish(Tenant tenant, uint64_t key, size_t offset, std::span<const Sample> samples) {
  const size_t ref_offset = ref_buf_.size();
  AppendRefEntry(&ref_buf_, tenant, key, samples);
  return Row{key, tenant.Key(), offset, ref_offset, static_cast<uint32_t>(buf_.size() - offset),
             static_cast<uint32_t>(ref_buf_.size() - ref_offset), static_cast<uint32_t>(samples.size())};
}

void EncodedRows::Reserve(size_t rows, size_t bytes) {
  rows_.reserve(rows_.size() + rows);
  buf_.reserve(buf_.size() + bytes + rows * 8);
  ref_buf_.reserve(ref_buf_.size() + rows * 16 + bytes / 4);
}

void EncodedRows::Clear() {
  buf_.clear();
  ref_buf_.clear();
  rows_.clear();
  total_samples_ = 0;
}

}  // namespace strata
