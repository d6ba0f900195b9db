// xcheck_cli: evaluates the kernels on cases read from stdin, one per line, for
// promtool_xcheck.py (which compares them with Prometheus 2.42's promtool).
//
//   <fn> <p1> <p2> <range_start_ms> <range_end_ms> <eval_ms> [t:v ...]
//
// fn is a range function (rate, ..., holt_winters; p1/p2 are its scalar arguments), an
// aggregation over the listed values (sum avg stdvar stddev quantile), histogram_quantile
// (each t:v is upper_bound_in_thousandths:count, t = 999999 meaning +Inf), a math
// function of p1, pow (p1 ^ p2), round(p1, p2), or a date function of p1. Prints one value per line ("none" when the
// kernel produces no output).
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "libs/promql/functions/aggregate.h"
#include "libs/promql/functions/histogram.h"
#include "libs/promql/functions/holt_winters.h"
#include "libs/promql/functions/math.h"
#include "libs/promql/functions/over_time.h"
#include "libs/promql/functions/rate.h"
#include "libs/promql/functions/regression.h"
#include "libs/promql/functions/time.h"

namespace fn = strata::promql::fn;
using strata::Sample;

namespace {

std::optional<double> Eval(const std::string& f, double p1, double p2, int64_t start, int64_t end,
                           int64_t eval, const std::vector<Sample>& s) {
  if (f == "rate") return fn::Rate(s, start, end);
  if (f == "increase") return fn::Increase(s, start, end);
  if (f == "delta") return fn::Delta(s, start, end);
  if (f == "irate") return fn::Irate(s);
  if (f == "idelta") return fn::Idelta(s);
  if (f == "resets") return fn::Resets(s);
  if (f == "changes") return fn::Changes(s);
  if (f == "avg_over_time") return fn::AvgOverTime(s);
  if (f == "sum_over_time") return fn::SumOverTime(s);
  if (f == "count_over_time") return fn::CountOverTime(s);
  if (f == "min_over_time") return fn::MinOverTime(s);
  if (f == "max_over_time") return fn::MaxOverTime(s);
  if (f == "stdvar_over_time") return fn::StdvarOverTime(s);
  if (f == "stddev_over_time") return fn::StddevOverTime(s);
  if (f == "last_over_time") return fn::LastOverTime(s);
  if (f == "quantile_over_time") return fn::QuantileOverTime(p1, s);
  if (f == "deriv") return fn::Deriv(s);
  if (f == "predict_linear") return fn::PredictLinear(s, eval, p1);
  if (f == "holt_winters") return fn::HoltWinters(s, p1, p2);
  if (f == "sum" || f == "avg" || f == "stdvar" || f == "stddev") {
    fn::SumAggregator sum;
    fn::AvgAggregator avg;
    fn::VarianceAggregator var;
    for (const Sample& x : s) {
      sum.Add(x.v);
      avg.Add(x.v);
      var.Add(x.v);
    }
    if (f == "sum") return sum.Result();
    if (f == "avg") return avg.Result();
    return f == "stdvar" ? var.Stdvar() : var.Stddev();
  }
  if (f == "quantile") {
    std::vector<double> v;
    for (const Sample& x : s) v.push_back(x.v);
    return fn::Quantile(p1, v);
  }
  if (f == "histogram_quantile") {
    std::vector<fn::Bucket> b;
    for (const Sample& x : s) {
      double ub = x.t == 999999 ? std::numeric_limits<double>::infinity() : x.t / 1000.0;
      b.push_back({ub, x.v});
    }
    return fn::BucketQuantile(p1, b);
  }
  if (fn::UnaryFn u = fn::LookupUnaryMath(f)) return u(p1);
  if (f == "pow") return fn::GoPow(p1, p2);
  if (f == "round") return fn::Round(p1, p2);
  if (f == "year") return fn::Year(p1);
  if (f == "month") return fn::Month(p1);
  if (f == "day_of_month") return fn::DayOfMonth(p1);
  if (f == "day_of_year") return fn::DayOfYear(p1);
  if (f == "day_of_week") return fn::DayOfWeek(p1);
  if (f == "days_in_month") return fn::DaysInMonth(p1);
  if (f == "hour") return fn::Hour(p1);
  if (f == "minute") return fn::Minute(p1);
  std::fprintf(stderr, "unknown function %s\n", f.c_str());
  return std::nullopt;
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string f, tok, p1s, p2s;
    long long start = 0, end = 0, eval = 0;
    // std::stod, unlike operator>>, reads "nan" and "inf".
    if (!(in >> f >> p1s >> p2s >> start >> end >> eval)) continue;
    double p1 = std::stod(p1s), p2 = std::stod(p2s);
    std::vector<Sample> s;
    while (in >> tok) {
      size_t c = tok.find(':');
      s.push_back({std::stoll(tok.substr(0, c)), std::stod(tok.substr(c + 1))});
    }
    std::optional<double> r = Eval(f, p1, p2, start, end, eval, s);
    if (r) {
      std::printf("%.17g\n", *r);
    } else {
      std::printf("none\n");
    }
  }
  return 0;
}
