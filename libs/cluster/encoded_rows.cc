#include "libs/cluster/encoded_rows.h"

#include "libs/rpc/write_wire.h"

namespace strata {

void EncodedRows::Add(Tenant tenant, std::span<const LabelRef> sorted, std::span<const Sample> samples) {
  const size_t offset = buf_.size();
  AppendSeriesEntry(&buf_, tenant, sorted, samples);
  rows_.push_back(Row{HashSortedLabels(sorted), offset, static_cast<uint32_t>(buf_.size() - offset),
                      static_cast<uint32_t>(samples.size())});
  total_samples_ += samples.size();
}

void EncodedRows::Clear() {
  buf_.clear();
  rows_.clear();
  total_samples_ = 0;
}

}  // namespace strata
