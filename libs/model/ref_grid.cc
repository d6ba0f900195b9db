#include "libs/model/ref_grid.h"

#include "absl/strings/str_cat.h"

namespace strata {

absl::Status ValidateRefGrid(const RefGrid& g) {
  if (g.count < 0) return absl::InvalidArgumentError(absl::StrCat("instant_refs.count ", g.count, " is negative"));
  if (g.count <= 1) return absl::OkStatus();
  if (g.step <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("instant_refs.step_ms ", g.step, " must be positive for ", g.count, " reference times"));
  }
  int64_t span = 0, last = 0;
  if (__builtin_mul_overflow(g.count - 1, g.step, &span) || __builtin_add_overflow(g.first, span, &last)) {
    return absl::InvalidArgumentError(absl::StrCat("instant_refs: ", g.count, " reference times every ", g.step,
                                                   " ms from ", g.first, " run past the largest timestamp"));
  }
  return absl::OkStatus();
}

void KeepLatestAtRefs(const RefGrid& g, std::vector<Sample>* samples) {
  if (g.count <= 0) return;
  Sample* xs = samples->data();
  const size_t n = samples->size();
  const int64_t last = g.last();
  // `next` is the first reference time at or after the current sample: the sample
  // is kept when the following one comes after it (or there is none).
  int64_t next = g.first;
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = xs[i].t;
    if (t > last) break;  // no reference time left at or after it
    if (t > next) next += g.step;  // first < next < t <= last, so step > 0 and next + step <= last
    if (t > next) {
      // A gap of more than one step: first < t <= last, so the difference fits in uint64.
      const uint64_t d = static_cast<uint64_t>(t) - static_cast<uint64_t>(g.first);
      const uint64_t step = static_cast<uint64_t>(g.step);
      next = static_cast<int64_t>(static_cast<uint64_t>(g.first) + (d + step - 1) / step * step);
    }
    if (i + 1 == n || xs[i + 1].t > next) xs[out++] = xs[i];
  }
  samples->resize(out);
}

}  // namespace strata
