#include "libs/model/dedup.h"

#include <algorithm>
#include <cmath>

namespace strata {

bool PreferSample(const Sample& a, const Sample& b) {
  bool a_stale = IsStaleNaN(a.v), b_stale = IsStaleNaN(b.v);
  if (a_stale != b_stale) return !a_stale;
  if (std::isnan(b.v)) return true;  // a is a number or also NaN: keep a
  if (std::isnan(a.v)) return false;
  return a.v >= b.v;
}

void SortAndCollapse(std::vector<Sample>* samples) {
  auto& s = *samples;
  if (s.size() < 2) return;
  // The usual case, one block or blocks in order: strictly increasing, nothing to do.
  if (std::adjacent_find(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t >= b.t; }) ==
      s.end()) {
    return;
  }
  if (!std::is_sorted(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; })) {
    std::stable_sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  }
  size_t out = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i].t == s[out].t) {
      if (!PreferSample(s[out], s[i])) s[out] = s[i];
    } else {
      s[++out] = s[i];
    }
  }
  s.resize(out + 1);
}

namespace {
// Bucket index k of timestamp t for (k*D - D, k*D]: k = ceil(t / D).
int64_t BucketOf(int64_t t, int64_t d) {
  int64_t q = t / d, r = t % d;
  if (r > 0) ++q;  // C++ division truncates toward zero: for t<0, ceil is q itself
  return q;
}
}  // namespace

void Deduplicate(std::vector<Sample>* samples, int64_t interval_ms) {
  auto& s = *samples;
  if (interval_ms <= 0 || s.size() < 2) return;
  size_t out = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if (BucketOf(s[i].t, interval_ms) == BucketOf(s[out].t, interval_ms)) {
      s[out] = s[i];  // later timestamp in the same bucket wins
    } else {
      s[++out] = s[i];
    }
  }
  s.resize(out + 1);
}

}  // namespace strata
