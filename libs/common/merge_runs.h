// Merging sorted runs of one array, on this thread and a cached helper.
//
//   std::vector<int> v = {1, 4, 9, 2, 3, 5};   // runs start at 0 and 3
//   MergeSortedRuns(&v, {0, 3}, std::less<int>());  // v = 1 2 3 4 5 9
//
// Neighbouring runs are merged pairwise, log2(runs) passes, each into the other of
// two buffers. Every pass is cut at merge-path splits into pieces of about 8192
// elements, which this thread and one ThreadCache helper share. The result is what
// std::stable_sort gives: of equal elements, those of an earlier run come first.
// Select merges its storage nodes' answer messages this way (libs/cluster): on
// the query thread alone, with std::inplace_merge, 100 000 series took ~85 ms.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "libs/common/thread_cache.h"

namespace strata {

// REQUIRES: runs ascending, runs[0] == 0 (or runs empty), each range [runs[i],
// runs[i + 1]) (the last ending at all->size()) sorted by `less`. T is cheap to
// copy (a pointer or an index): elements are copied, not moved.
template <typename T, typename Less>
void MergeSortedRuns(std::vector<T>* all, std::vector<size_t> runs, Less less) {
  constexpr size_t kPiece = 8192;
  struct Piece {
    const T *a, *a_end, *b, *b_end;
    T* out;
  };
  const size_t n = all->size();
  if (runs.size() <= 1) return;
  std::vector<T> other(n);
  T* src = all->data();
  T* dst = other.data();
  while (runs.size() > 1) {
    std::vector<Piece> pieces;
    std::vector<size_t> merged;
    for (size_t r = 0; r < runs.size(); r += 2) {
      merged.push_back(runs[r]);
      const size_t mid = r + 1 < runs.size() ? runs[r + 1] : n;
      const size_t end = r + 2 < runs.size() ? runs[r + 2] : n;
      const T* a = src + runs[r];
      const T* b = src + mid;
      const size_t na = mid - runs[r], nb = end - mid, total = na + nb;
      // The first d outputs take i elements of a and d - i of b; std::merge takes
      // a's element first on ties, so i is the least with b[d - i - 1] < a[i].
      auto split = [&](size_t d) {
        size_t lo = d > nb ? d - nb : 0, hi = std::min(d, na);
        while (lo < hi) {
          const size_t m = (lo + hi) / 2;
          if (less(b[d - m - 1], a[m])) {
            hi = m;
          } else {
            lo = m + 1;
          }
        }
        return lo;
      };
      const size_t parts = std::max<size_t>(1, total / kPiece);
      size_t prev_d = 0, prev_i = 0;
      for (size_t p = 1; p <= parts; ++p) {
        const size_t d = p == parts ? total : total * p / parts;
        const size_t i = p == parts ? na : split(d);
        pieces.push_back({a + prev_i, a + i, b + (prev_d - prev_i), b + (d - i), dst + runs[r] + prev_d});
        prev_d = d;
        prev_i = i;
      }
    }
    std::atomic<size_t> next{0};
    const std::function<void()> work = [&] {
      for (size_t p; (p = next.fetch_add(1)) < pieces.size();) {
        const Piece& x = pieces[p];
        std::merge(x.a, x.a_end, x.b, x.b_end, x.out, less);
      }
    };
    ThreadCache::Shared().RunWithHelpers(pieces.size() > 1 ? 1 : 0, work, work);
    std::swap(src, dst);
    runs = std::move(merged);
  }
  if (src != all->data()) std::copy(src, src + n, all->data());
}

}  // namespace strata
