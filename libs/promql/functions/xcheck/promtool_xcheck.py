#!/usr/bin/env python3
"""Cross-checks strata::promql_functions against Prometheus 2.42's promtool.

Generates random cases, evaluates each with `promtool test rules` (every expectation
is deliberately wrong, so promtool prints what it got) and with xcheck_cli, and
reports cases whose answers differ by more than --tol (relative).

  apt-get download prometheus && dpkg -x prometheus_2.42*.deb /tmp/prom
  ninja -C build promql_functions_xcheck
  libs/promql/functions/xcheck/promtool_xcheck.py --promtool /tmp/prom/usr/bin/promtool \
      --cli build/bin/promql_functions_xcheck --seed 1 --n 300

Known, accepted differences: with --tol 0, aggregations (avg/stddev/stdvar/sum)
differ in the last bit when promtool's series order (creation order, random here)
differs from ours, and transcendental math functions differ by an ulp or so (Go's own
implementations vs glibc).
"""
import argparse
import math
import random
import re
import subprocess
import sys
import tempfile

RANGE_FNS = ['rate', 'increase', 'delta', 'irate', 'idelta', 'resets', 'changes',
             'avg_over_time', 'sum_over_time', 'count_over_time', 'min_over_time',
             'max_over_time', 'stdvar_over_time', 'stddev_over_time', 'last_over_time',
             'quantile_over_time', 'deriv', 'predict_linear', 'holt_winters']
AGG_FNS = ['avg', 'sum', 'stdvar', 'stddev', 'quantile', 'histogram_quantile']
MATH_FNS = ['abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'acos',
            'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan',
            'tanh', 'deg', 'rad']
DATE_FNS = ['year', 'month', 'day_of_month', 'day_of_year', 'day_of_week', 'days_in_month',
            'hour', 'minute']


def rnd_value(rng, huge=True):
    r = rng.random()
    if r < 0.03:
        return rng.choice([math.inf, -math.inf, math.nan])
    if r < 0.1:
        if not huge:
            return rng.choice([0.0, 1e-300])
        return rng.choice([0.0, 1e100, -1e100, 1e-300, 9.988465674311579e+307])
    if r < 0.5:
        return float(rng.randint(-50, 50))
    return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-5, 5)


def fmt(v):
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Inf' if v > 0 else '-Inf'
    return repr(v)


def range_case(rng, i):
    fn = RANGE_FNS[i % len(RANGE_FNS)]
    n = rng.randint(1, 12)
    counterish = fn in ('rate', 'increase', 'resets', 'irate', 'delta', 'deriv') and rng.random() < 0.7
    vals, cur = [], rng.uniform(0, 100)
    for j in range(n):
        if j > 0 and rng.random() < 0.2:
            vals.append(None)
        elif counterish:
            cur = cur + rng.uniform(0, 50) if rng.random() > 0.15 else rng.uniform(0, 10)
            vals.append(cur)
        else:
            vals.append(rnd_value(rng))
    interval = rng.choice([10, 15, 30])
    eval_s = interval * (n - 1) + rng.choice([0, 1, 7, interval])
    rng_s = rng.choice([interval * 2, interval * 3, interval * n, 60, 120])
    name = 'm%d' % i
    p1 = p2 = 0.0
    if fn == 'quantile_over_time':
        p1 = rng.choice([0, 0.1, 0.5, 0.75, 0.9, 0.99, 1, -0.5, 1.5])
        expr = 'quantile_over_time(%r, %s[%ds])' % (p1, name, rng_s)
    elif fn == 'predict_linear':
        p1 = rng.choice([0, 60, 3600, -100.5])
        expr = 'predict_linear(%s[%ds], %r)' % (name, rng_s, p1)
    elif fn == 'holt_winters':
        p1, p2 = rng.choice([0.1, 0.5, 0.9]), rng.choice([0.1, 0.3, 0.99])
        expr = 'holt_winters(%s[%ds], %r, %r)' % (name, rng_s, p1, p2)
    else:
        expr = '%s(%s[%ds])' % (fn, name, rng_s)
    end = eval_s * 1000
    start = end - rng_s * 1000
    samples = [(j * interval * 1000, v) for j, v in enumerate(vals)
               if v is not None and start <= j * interval * 1000 <= end]
    series = [(name, ' '.join('_' if v is None else fmt(v) for v in vals))]
    return dict(expr=expr, fn=fn, p1=p1, p2=p2, start=start, end=end, eval_s=eval_s,
                interval=interval, samples=samples, series=series)


def agg_case(rng, i):
    fn = rng.choice(AGG_FNS)
    name = 'a%d' % i
    series, samples, p1 = [], [], 0.0
    if fn == 'histogram_quantile':
        les = sorted(rng.sample([-1, 0, 0.1, 0.5, 1, 2.5, 5, 10], rng.randint(1, 5)))
        if rng.random() < 0.9:
            les.append(math.inf)
        cnt = 0.0
        for le in les:
            cnt += rng.choice([0, 1, 3, 10, -2])
            series.append(('%s{le="%s"}' % (name, '+Inf' if math.isinf(le) else repr(le)), fmt(cnt)))
            samples.append((999999 if math.isinf(le) else int(round(le * 1000)), cnt))
        p1 = rng.choice([0, 0.01, 0.25, 0.5, 0.9, 0.99, 1])
        expr = 'histogram_quantile(%r, %s)' % (p1, name)
    else:
        for j in range(rng.randint(1, 8)):
            # No 1e100-style cancellation: promtool's series order is random, and the
            # uncompensated sum() then differs wildly by order.
            v = rnd_value(rng, huge=False)
            series.append(('%s{i="%03d"}' % (name, j), fmt(v)))
            samples.append((j, v))
        if fn == 'quantile':
            p1 = rng.choice([0, 0.3, 0.5, 0.9, 1])
            expr = 'quantile(%r, %s)' % (p1, name)
        else:
            expr = '%s(%s)' % (fn, name)
    return dict(expr=expr, fn=fn, p1=p1, p2=0.0, start=0, end=0, eval_s=0, interval=10,
                samples=samples, series=series)


def scalar_case(rng, i):
    name = 's%d' % i
    if rng.random() < 0.15:
        x = rng.choice([rng.uniform(-1000, 1000), rng.uniform(-1, 1), float(rng.randint(-9, 9)) + 0.5])
        to = rng.choice([1.0, 0.1, 0.01, 5.0, 0.3, 1e-9, 1000.0, -2.0])
        return dict(expr='round(%s, %r)' % (name, to), fn='round', p1=x, p2=to, start=0, end=0,
                    eval_s=0, interval=10, samples=[], series=[(name, fmt(x))])
    if rng.random() < 0.3:
        x = rng.choice([rng.uniform(0, 10), rng.uniform(-10, 10), float(rng.randint(-20, 20)),
                        rng.uniform(0, 1e10), 0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0])
        y = rng.choice([float(rng.randint(-10, 30)), rng.uniform(-5, 5), 0.5, -0.5,
                        rng.uniform(0, 100), 0.0, math.inf, -math.inf, math.nan, 1e300, -3.0])
        return dict(expr='%s ^ %s' % (name, fmt(y)), fn='pow', p1=x, p2=y, start=0, end=0,
                    eval_s=0, interval=10, samples=[], series=[(name, fmt(x))])
    if rng.random() < 0.5:
        fn = rng.choice(MATH_FNS)
        v = rng.choice([rng.uniform(-1, 1), rng.uniform(-20, 20), rng.uniform(0, 1e6),
                        rng.uniform(-1e300, 1e300)])
    else:
        fn = rng.choice(DATE_FNS)
        v = float(rng.randint(-62135596800, 253402300799)) + rng.choice([0, 0.5, -0.5])
    return dict(expr='%s(%s)' % (fn, name), fn=fn, p1=v, p2=0.0, start=0, end=0, eval_s=0,
                interval=10, samples=[], series=[(name, fmt(v))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--promtool', required=True)
    ap.add_argument('--cli', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--n', type=int, default=200)
    ap.add_argument('--tol', type=float, default=1e-12)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = ([range_case(rng, i) for i in range(args.n)] +
             [agg_case(rng, i) for i in range(args.n // 2)] +
             [scalar_case(rng, i) for i in range(args.n // 2)])

    # evaluation_interval 1s: promtool only sees samples up to the rule evaluation
    # clock, which advances in these steps.
    lines = ['evaluation_interval: 1s', 'tests:']
    for c in cases:
        lines += ['  - interval: %ds' % c['interval'], '    input_series:']
        for sname, vals in c['series']:
            lines += ["      - series: '%s'" % sname, "        values: '%s'" % vals]
        lines += ['    promql_expr_test:', "      - expr: '%s'" % c['expr'],
                  '        eval_time: %ds' % c['eval_s'], '        exp_samples:',
                  "          - labels: '{}'", '            value: -12345.678']
    with tempfile.NamedTemporaryFile('w', suffix='.yml') as f:
        f.write('\n'.join(lines) + '\n')
        f.flush()
        r = subprocess.run([args.promtool, 'test', 'rules', f.name], capture_output=True, text=True)
    out = r.stdout + r.stderr
    got = {}
    for m in re.finditer(r'expr: "(.*?)", time: .*?\n\s+exp: .*?\n\s+got: (.*?)\n', out):
        mm = re.match(r'\{[^}]*\} (\S+)', m.group(2).strip())
        got[m.group(1).replace('\\"', '"')] = float(mm.group(1)) if mm else None

    inp = ''.join('%s %r %r %d %d %d %s\n' % (
        c['fn'], c['p1'], c['p2'], c['start'], c['end'], c['end'],
        ' '.join('%d:%r' % (t, v) for t, v in c['samples'])) for c in cases)
    mine = subprocess.run([args.cli], input=inp, capture_output=True, text=True).stdout.split('\n')
    bad = 0
    for c, m in zip(cases, mine):
        want = got.get(c['expr'], 'missing')
        mv = None if m == 'none' else float(m)
        if want == 'missing':
            print('NO ANSWER FROM PROMTOOL', c['expr'])
            bad += 1
            continue
        if c['fn'] in ('resets', 'changes') and not c['samples'] and want is None:
            continue  # the engine never calls a kernel on an empty window
        same = (want is None and mv is None) or (
            want is not None and mv is not None and (
                (math.isnan(want) and math.isnan(mv)) or want == mv or
                abs(want - mv) <= args.tol * max(abs(want), abs(mv))))
        if not same:
            bad += 1
            print('MISMATCH %s promtool=%r ours=%r series=%r' % (c['expr'], want, mv, c['series']))
    print('seed %d: %d cases, %d mismatches' % (args.seed, len(cases), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
