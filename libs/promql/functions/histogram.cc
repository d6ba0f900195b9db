#include "libs/promql/functions/histogram.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace strata::promql::fn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Merges neighbours with equal bounds (le="1" and le="1.0") after sorting.
size_t CoalesceBuckets(std::span<Bucket> buckets) {
  Bucket last = buckets[0];
  size_t i = 0;
  for (size_t j = 1; j < buckets.size(); ++j) {
    if (buckets[j].upper_bound == last.upper_bound) {
      last.count += buckets[j].count;
    } else {
      buckets[i] = last;
      last = buckets[j];
      ++i;
    }
  }
  buckets[i] = last;
  return i + 1;
}

// Scrapes of different buckets are not atomic, so counts may dip; raise each count to
// the maximum seen below it.
void EnsureMonotonic(std::span<Bucket> buckets) {
  double max = -kInf;
  for (Bucket& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
}

}  // namespace

std::optional<double> ParseBucketBound(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool negative = false;
  bool has_sign = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    has_sign = true;
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    return negative ? -kInf : kInf;
  }
  if (!has_sign && EqualsIgnoreCase(body, "nan")) return kNaN;
  if (body.empty()) return std::nullopt;

  bool hex = body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  if (hex) {
    body.remove_prefix(2);
    // Go requires a 'p' exponent on hexadecimal floats.
    if (body.find_first_of("pP") == std::string_view::npos) return std::nullopt;
  } else if (!(body[0] >= '0' && body[0] <= '9') && body[0] != '.') {
    return std::nullopt;  // from_chars would accept "nan(...)" and friends
  }
  double v = 0;
  const char* end = body.data() + body.size();
  auto [ptr, ec] = std::from_chars(body.data(), end, v,
                                   hex ? std::chars_format::hex : std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Go returns an error on overflow but silently rounds underflow to 0 / denormals.
    std::string copy(body);
    if (hex) copy.insert(0, "0x");
    double approx = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(approx) || std::fabs(approx) >= 1) return std::nullopt;
    v = approx;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

double BucketQuantile(double q, std::span<Bucket> buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  if (buckets.empty()) return kNaN;
  // NaN bounds are ordered first to keep the comparator a strict weak order.
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) {
    bool an = std::isnan(a.upper_bound), bn = std::isnan(b.upper_bound);
    if (an || bn) return an && !bn;
    return a.upper_bound < b.upper_bound;
  });
  if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return kNaN;

  buckets = buckets.first(CoalesceBuckets(buckets));
  EnsureMonotonic(buckets);

  if (buckets.size() < 2) return kNaN;
  double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  // First bucket (excluding +Inf) whose cumulative count reaches the rank.
  // Binary search exactly as Go's sort.Search, so NaN counts land where they do there.
  size_t lo = 0, hi = buckets.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (!(buckets[mid].count >= rank)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  size_t b = lo;

  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;

  double bucket_start = 0;
  double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

double Quantile(double q, std::span<double> values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    bool an = std::isnan(a), bn = std::isnan(b);
    if (an || bn) return an && !bn;
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

}  // namespace strata::promql::fn
