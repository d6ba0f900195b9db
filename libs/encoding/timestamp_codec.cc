#include "libs/encoding/timestamp_codec.h"

#include <algorithm>
#include <vector>

#include "libs/encoding/int_stream.h"

namespace strata::encoding {
namespace {

inline int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t Mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

}  // namespace

void EncodeTimestamps(std::span<const Sample> samples, std::string* out) {
  const size_t n = samples.size();
  if (n < 2) return;
  thread_local std::vector<int64_t> deltas, grid, dod, scratch;
  deltas.resize(n - 1);
  for (size_t i = 1; i < n; ++i) deltas[i - 1] = Sub(samples[i].t, samples[i - 1].t);

  // The grid step is the median delta, robust to a missed scrape, which the
  // residuals then absorb.
  scratch.assign(deltas.begin(), deltas.end());
  auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(scratch.size() / 2);
  std::nth_element(scratch.begin(), mid, scratch.end());
  const int64_t step = *mid;
  grid.resize(n - 1);
  const int64_t t0 = samples[0].t;
  for (size_t i = 1; i < n; ++i) {
    grid[i - 1] = Sub(samples[i].t, Add(t0, Mul(static_cast<int64_t>(i), step)));
  }
  const IntStreamPlan grid_plan = PlanIntStream(grid);
  const size_t grid_cost = UvarintLength(static_cast<uint64_t>(step)) + IntStreamBytes(grid_plan);

  // Exactly regular: nothing can beat a constant stream.
  IntStreamPlan delta_plan, dod_plan;
  size_t delta_cost = SIZE_MAX, dod_cost = SIZE_MAX;
  if (grid_plan.layout != IntLayout::kConst) {
    delta_plan = PlanIntStream(deltas);
    delta_cost = IntStreamBytes(delta_plan);
    dod.resize(n >= 3 ? n - 2 : 0);
    for (size_t i = 2; i < n; ++i) dod[i - 2] = Sub(deltas[i - 1], deltas[i - 2]);
    dod_plan = PlanIntStream(dod);
    dod_cost = UvarintLength(static_cast<uint64_t>(deltas[0])) + IntStreamBytes(dod_plan);
  }
  if (grid_cost <= delta_cost && grid_cost <= dod_cost) {
    out->push_back(static_cast<char>(TimestampMode::kGrid));
    PutUvarint(out, static_cast<uint64_t>(step));
    WriteIntStream(grid, grid_plan, out);
  } else if (delta_cost <= dod_cost) {
    out->push_back(static_cast<char>(TimestampMode::kDelta));
    WriteIntStream(deltas, delta_plan, out);
  } else {
    out->push_back(static_cast<char>(TimestampMode::kDeltaOfDelta));
    PutUvarint(out, static_cast<uint64_t>(deltas[0]));
    WriteIntStream(dod, dod_plan, out);
  }
}

bool DecodeTimestamps(ByteReader* in, int64_t min_t, int64_t max_t, size_t n, Sample* out) {
  out[0].t = min_t;
  if (n == 1) return min_t == max_t;
  uint8_t mode;
  if (!in->ReadByte(&mode)) return false;
  thread_local std::vector<int64_t> buf;
  buf.resize(n);
  int64_t* v = buf.data();
  switch (static_cast<TimestampMode>(mode)) {
    case TimestampMode::kGrid: {
      uint64_t step;
      if (!in->ReadUvarint(&step) || !ReadIntStream(in, n - 1, v)) return false;
      int64_t base = min_t;
      for (size_t i = 1; i < n; ++i) {
        base = Add(base, static_cast<int64_t>(step));
        out[i].t = Add(base, v[i - 1]);
      }
      break;
    }
    case TimestampMode::kDelta: {
      if (!ReadIntStream(in, n - 1, v)) return false;
      int64_t t = min_t;
      for (size_t i = 1; i < n; ++i) out[i].t = t = Add(t, v[i - 1]);
      break;
    }
    case TimestampMode::kDeltaOfDelta: {
      uint64_t first;
      if (!in->ReadUvarint(&first) || !ReadIntStream(in, n - 2, v)) return false;
      int64_t d = static_cast<int64_t>(first);
      int64_t t = Add(min_t, d);
      out[1].t = t;
      for (size_t i = 2; i < n; ++i) {
        d = Add(d, v[i - 2]);
        out[i].t = t = Add(t, d);
      }
      break;
    }
    default:
      return false;
  }
  // Only a forged block (one whose checksum matches) can get here with bad order.
  bool ascending = true;
  for (size_t i = 1; i < n; ++i) ascending &= out[i].t > out[i - 1].t;
  return ascending && out[n - 1].t == max_t;
}

}  // namespace strata::encoding
