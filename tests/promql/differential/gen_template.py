#!/usr/bin/env python3
"""Writes queries.tmpl: the queries the differential test sends to Prometheus 2.42 and to
our engine, covering every function, operator and aggregation on a mixed dataset."""

DATA = """load 15s
    http_requests_total{job="api", instance="a", code="200"} 0+10x40
    http_requests_total{job="api", instance="b", code="200"} 0+7x15 3+7x24
    http_requests_total{job="api", instance="a", code="500"} 0+1x20 _x5 21+1x14
    http_requests_total{job="web", instance="c", code="200"} 5+3x40
    temperature{job="sensor", room="a"} 20 21 19.5 22 23 22.5 21 20 19 18 17.5 18 19 20 21 22 23 24 25 24 23 22 21 20 19 18 17 16 15 16 17 18 19 20 21 22 23 24 25 26 27
    temperature{job="sensor", room="b"} -5+0.5x40
    weird{kind="nan"} 1 2 NaN 4 5 NaN 7 8x33
    weird{kind="inf"} 1 Inf 3 -Inf 5x36
    weird{kind="stale"} 1 2 3 stale 5 6 7x10 stale
    latency_bucket{job="api", le="0.1"} 0+5x40
    latency_bucket{job="api", le="0.5"} 0+8x40
    latency_bucket{job="api", le="1"} 0+9x40
    latency_bucket{job="api", le="+Inf"} 0+10x40
    latency_bucket{job="web", le="0.1"} 0+1x40
    latency_bucket{job="web", le="0.5"} 0+1x40
    latency_bucket{job="web", le="+Inf"} 0+4x40
"""

R = "http_requests_total"
T = "temperature"
RANGE_FNS = ["rate", "increase", "delta", "irate", "idelta", "resets", "changes", "deriv",
             "avg_over_time", "sum_over_time", "count_over_time", "min_over_time",
             "max_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
             "present_over_time", "absent_over_time"]
MATH_FNS = ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "acos", "acosh",
            "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg",
            "rad"]
OPS = ["+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<="]
AGGS = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"]

instant = []
scalar = []
for f in RANGE_FNS:
    for sel in [R + "[2m]", T + "[1m]", "weird[2m]", R + "[5m:30s]", T + "[3m] offset 2m"]:
        instant.append(f + "(" + sel + ")")
for q in ["0", "0.25", "0.5", "0.99", "1", "-1", "2"]:
    instant.append("quantile_over_time(%s, %s[3m])" % (q, T))
    instant.append("quantile(%s, %s)" % (q, T))
    instant.append("histogram_quantile(%s, rate(latency_bucket[2m]))" % q)
    instant.append("histogram_quantile(%s, sum by (le) (rate(latency_bucket[2m])))" % q)
for a, b in [("0.5", "0.5"), ("0.1", "0.9"), ("0.9", "0.1")]:
    instant.append("holt_winters(%s[5m], %s, %s)" % (T, a, b))
instant += ["predict_linear(%s[5m], 60)" % T, "predict_linear(%s[2m], -30)" % R,
            "holt_winters(%s[5m], 1, 0.5)" % T]
for f in MATH_FNS:
    instant.append(f + "(" + T + " / 30)")
    instant.append(f + "(weird)")
for f in ["round", "clamp_min", "clamp_max"]:
    instant.append(f + "(" + T + ", 20)")
instant += ["round(%s, 0.3)" % T, "round(%s)" % T, "clamp(%s, 18, 21)" % T, "clamp(%s, 21, 18)" % T,
            "timestamp(%s)" % T, "timestamp(weird)", "timestamp(%s offset 1m)" % T,
            "timestamp(sum(%s))" % T, "vector(1)", "vector(time())", "absent(%s)" % T,
            "absent(nope{a=\"b\", c=~\"d\"})", "absent(sum(nope))",
            "label_replace(%s, \"dst\", \"$1-x\", \"room\", \"(.*)\")" % T,
            "label_replace(%s, \"room\", \"\", \"room\", \"a\")" % T,
            "label_join(%s, \"dst\", \"/\", \"job\", \"room\", \"missing\")" % T,
            "sort(%s)" % R, "sort_desc(weird)", "%s @ 120" % T, "%s @ 120 offset 1m" % R,
            "rate(%s[1m] @ 300)" % R, "max_over_time(%s[2m:15s] @ 400)" % T,
            "sum_over_time(rate(%s[1m])[3m:20s])" % R, "deriv(%s[3m:]) " % T,
            "%s offset -1m" % T, "%s offset 2m" % R]
for f in ["hour", "minute", "month", "year", "day_of_month", "day_of_week", "day_of_year",
          "days_in_month"]:
    instant.append(f + "()")
    instant.append(f + "(" + T + " * 1e7)")
for agg in AGGS:
    instant.append(agg + "(" + R + ")")
    instant.append(agg + " by (job) (" + R + ")")
    instant.append(agg + " without (instance) (" + R + ")")
    instant.append(agg + "(weird)")
for k in ["1", "2", "3", "0", "-1", "100"]:
    instant.append("topk(%s, %s)" % (k, R))
    instant.append("bottomk by (job) (%s, %s)" % (k, R))
instant += ["topk(2, weird)", "bottomk(2, weird)", "count_values(\"v\", %s)" % T,
            "count_values by (job) (\"v\", round(%s / 100))" % R, "count_values(\"v\", weird)",
            "count_values(\"job\", %s)" % T, "count_values without (room) (\"x\", %s)" % T]
for op in OPS:
    b = " bool" if op in ["==", "!=", ">", "<", ">=", "<="] else ""
    instant.append("%s %s %s" % (R, op, T + " / 4"))
    instant.append("%s %s 30" % (R, op))
    instant.append("30 %s %s" % (op, R))
    instant.append("%s %s%s on(job) group_left sum by (job) (%s)" % (R, op, b, R))
    instant.append("sum by (job) (%s) %s%s on(job) group_right %s" % (R, op, b, R))
    instant.append("%s %s%s ignoring(code) %s" % (R, op, b, R))
    instant.append("weird %s%s weird" % (op, b))
    if b:
        instant.append("%s %s bool 30" % (R, op))
        scalar.append("2 %s bool 3" % op)
    else:
        scalar.append("2 %s 3" % op)
instant += ["%s and %s" % (R, T), "%s and on(job) %s" % (R, R + "{code=\"500\"}"),
            "%s or %s" % (R, T), "%s unless on(instance) %s" % (R, R + "{code=\"500\"}"),
            "%s or on() vector(0)" % R, "-%s" % R, "+%s" % R,
            "%s + on(job) %s" % (R, T), "%s / on(job, instance) group_left(code) %s" % (R, R),
            "%s * ignoring(code) group_left %s{code=\"200\"}" % (R, R), "scalar(%s) + %s" % (T, T)]
scalar += ["scalar(%s{room=\"a\"})" % T, "scalar(%s)" % T, "time()", "pi()", "-2 ^ 2",
           "2 ^ 3 ^ 2", "1 - 2 - 3", "0x10 + 1", "1e3 / 7", "-Inf", "NaN + 1",
           "scalar(vector(5)) * 2"]

DATA2 = """load 1m
    c{i="late"} _x20 100+10x20 0+5x19
    c{i="sparse"} 1 _x3 5 _x3 9 _x3 13 _x3 17 _x3 21 _x3 25 _x3 29 _x3 33 _x3 37
    c{i="big"} 1e15+1e13x59
    g{i="neg", path="/a b"} -10-0.75x59
    g{i="flat", path="/c"} 3x59
    g{i="nan", path="/ü é"} NaN 1 NaN 2 NaN 3 NaN 4x52
"""
C = 'c'
G = 'g'
instant2 = []
for f in RANGE_FNS:
    for sel in [C + "[5m]", G + "[10m]", C + "[10m:2m]", G + "[30m] @ 1800"]:
        instant2.append(f + "(" + sel + ")")
instant2 += ["predict_linear(c[10m], 600)", "predict_linear(g[5m] offset 5m, 60)",
             "holt_winters(g[15m], 0.3, 0.7)", "quantile_over_time(0.3, g[20m])",
             "label_replace(g, \"path\", \"x\", \"i\", \".*\")",
             "label_replace(g, \"i\", \"$2/$1\", \"path\", \"/(.)(.*)\")",
             "label_join(g, \"path\", \",\", \"i\", \"i\")", "g @ start()", "rate(c[5m] @ end())",
             "max_over_time(g[10m:] @ 600)", "min_over_time(rate(c[3m])[20m:1m] offset 10m)",
             "count_values(\"cv\", g)", "topk(1, g) + 0", "sum(c) / count(c)",
             "avg(g) by (path)", "stddev(c)", "stdvar by (i) (g)", "quantile(0.5, g)",
             "c > 50", "c > bool 50", "g == -10", "g != bool g", "-g", "g % 2", "2 ^ g",
             "g and c", "c or g", "g unless g{i=\"flat\"}", "absent(g{i=\"none\"})",
             "absent_over_time(c{i=\"late\"}[10m])", "timestamp(c)", "changes(g[1h])",
             "resets(c[1h])", "irate(c[3m])", "idelta(g[3m])", "increase(c[59m])",
             "delta(g[59m])", "rate(c[59m])", "sum_over_time(g[2m:7s])", "vector(scalar(g))",
             "scalar(c) * g", "sort_desc(c)", "sort(g)"]

DATA3 = """load 30s
    h_bucket{le="1"} 10+1x20
    h_bucket{le="2"} 8+1x20
    h_bucket{le="5"} 20+2x20
    h_bucket{le="+Inf"} 25+2x20
    h2_bucket{le="1"} 1+1x20
    h2_bucket{le="2"} 2+2x20
    h3_bucket{le="0.5", x="y"} 0x20
    h3_bucket{le="+Inf", x="y"} 0x20
    h4_bucket{le="-1"} 5x20
    h4_bucket{le="1"} 10x20
    h4_bucket{le="+Inf"} 10x20
    h5_bucket{le="abc"} 1x20
    e{a="x", b="1"} 1 2 3 4 5 4 3 2 1 0 NaN Inf -Inf 0x7
    e{a="y", b="2"} 5 stale 6 _ 7 8 stale _x3 9x10
    e{a="z", b="3"} 0.5x3 -0.5x3 2.5x3 -2.5x10
    one{a="x"} 1
"""
instant3 = [
    "histogram_quantile(0.5, h_bucket)", "histogram_quantile(0.9, h2_bucket)",
    "histogram_quantile(0.5, h3_bucket)", "histogram_quantile(0.2, h4_bucket)",
    "histogram_quantile(0.7, h4_bucket)", "histogram_quantile(0.5, h5_bucket)",
    "histogram_quantile(NaN, h_bucket)", "histogram_quantile(0.5, rate(h_bucket[2m]))",
    "histogram_quantile(0.5, {__name__=~\"h[12]_bucket\"})",
    "round(e)", "round(e, -2)", "round(e, 0.5)", "clamp(e, 0, NaN)", "clamp_min(e, NaN)",
    "hour(e)", "minute(e * 1e5)", "days_in_month(e * 1e7)", "vector(NaN)", "vector(scalar(e) + 1)",
    "label_replace(e, \"a\", \"$1\", \"b\", \"(\")",
    "label_replace(e, \"1bad\", \"x\", \"b\", \".*\")",
    "label_join(e, \"1bad\", \",\", \"a\")", "label_join(e, \"c\", \"\", \"a\", \"b\")",
    "label_replace(e, \"a\", \"same\", \"a\", \".*\")",
    "count_values(\"a\", e)", "count_values(\"1x\", e)",
    "e + on(a) group_left(b) one", "one + on(a) group_right(b) e", "e == bool on(a) one",
    "e > on(a) group_right one", "e or one", "one or e", "e unless one", "e and e",
    "topk(1, e)", "topk(1, -e)", "bottomk(2, e)", "quantile(0.5, e)", "quantile(NaN, e)",
    "avg(e)", "sum(e)", "max(e)", "min(e)", "stddev(e)", "count(e) by (a)",
    "sum without (a, b) (e)", "sum by (nonexistent) (e)", "sum without (__name__) (e)",
    "sum by (__name__) (e)", "changes(e[3m])", "resets(e[3m])", "deriv(e[1m])",
    "irate(e[1m])", "idelta(e[40s])", "increase(e[5m])", "rate(e[30s])", "delta(e[2m])",
    "last_over_time(e[1m])", "present_over_time(e[30s])", "absent_over_time(e{a=\"y\"}[30s])",
    "absent(e{a=\"q\", a=\"r\"})", "absent(e{a=~\"q\"})", "e offset 30s", "e offset -30s",
    "rate(e[1m:15s])", "max_over_time(e[2m:45s] offset 30s)",
    "sum(rate(h_bucket[1m])) by (le)", "-e ^ 2", "e ^ -1", "e % -2", "e / 0", "0 / e",
    "e atan2 one", "e * on() group_left one", "sgn(e)", "sqrt(e)", "ln(e)", "exp(e)",
    "timestamp(e offset 1m)", "timestamp(-e)", "holt_winters(e[5m], 0.5, 0.5)",
    "quantile_over_time(0.5, e[2m])", "quantile_over_time(2, e[2m])",
    "stddev_over_time(e[2m])", "predict_linear(e[2m], 30)",
]

DATA4 = """load 10s
    n{a="1"} 0+1e20x100
    n{a="2"} 0.1+0.1x100
    n{a="3"} 1e-320+1e-320x100
    s{a="1"} 1 2 3 stale 5 6 stale _x5 9+1x80
"""
instant4 = [
    "count_values(\"v\", n)", "count_values(\"v\", s)",
    "max_over_time(rate(n[1m])[5m:30s] offset 1m)",
    "sum_over_time(sum_over_time(n[1m])[2m:20s])",
    "min_over_time(max_over_time(s[1m:10s])[3m:45s])",
    "max_over_time(n[1m:10s] @ 500)", "timestamp(n @ 300)", "timestamp(s offset 25s)",
    "absent_over_time(s[20s] @ 40)", "absent_over_time(s[20s])", "last_over_time(s[15s])",
    "n / 3", "n * 1e300", "n - n", "n{a=\"3\"} * 1e308", "count_over_time(s[1m:7s])",
    "s @ 30", "s @ 45", "s @ 1000", "s @ -10", "s offset 1h", "rate(n[1m] offset -1m)",
    "irate(n[1m:17s])", "deriv(n[1m])", "predict_linear(n[1m], 3600)",
    "stddev_over_time(n[5m])", "stdvar_over_time(n[5m])", "avg_over_time(n[16m])",
    "quantile_over_time(0.9, s[5m])", "changes(s[2m])", "resets(n[16m])",
    "topk(1, n) * 2", "bottomk(1, s)", "sum(n) by (a)", "avg(n)", "stddev(n)",
    "quantile(0.25, n)", "sum(n) + sum(s)", "group(n)", "count(n) > bool 2",
]
out = [DATA]
for e in instant:
    for t in ["5m", "10m", "12m30s"]:
        out.append("eval instant at %s %s" % (t, e))
for e in scalar:
    out.append("eval scalar at 10m %s" % e)
out += ["", "clear", "", DATA2]
for e in instant2:
    for t in ["0", "30s", "10m", "25m", "41m", "59m", "1h7m"]:
        out.append("eval instant at %s %s" % (t, e))
open("queries.tmpl", "w").write("\n".join(out) + "\n")
out += ["", "clear", "", DATA4]
for e in instant4:
    for t in ["0", "35s", "2m", "5m55s", "16m40s", "20m"]:
        out.append("eval instant at %s %s" % (t, e))
out += ["", "clear", "", DATA3]
for e in instant3:
    for t in ["0", "1m", "2m30s", "4m", "5m", "9m59s", "10m", "14m"]:
        out.append("eval instant at %s %s" % (t, e))
open("queries.tmpl", "w").write("\n".join(out) + "\n")
print(len(instant) * 3 + len(scalar) + len(instant2) * 7 + len(instant3) * 8 +
      len(instant4) * 6, "evals")
