#!/usr/bin/env python3
"""Turns Google Benchmark JSON (with the p10..max latency counters of bench/bench_support.hpp) into
a gnuplot data file and script: one percentile curve per benchmark, x on a "nines" scale
(50 %, 90 %, 99 %, 99.9 %, 99.99 %), y in ns on a log scale. Standard library only."""

import argparse
import json
import math
import re
import sys

# counter name -> percentile
QUANTILES = [("p10_ns", 0.10), ("p25_ns", 0.25), ("p50_ns", 0.50), ("p75_ns", 0.75),
             ("p90_ns", 0.90), ("p99_ns", 0.99), ("p99.9_ns", 0.999), ("p99.99_ns", 0.9999)]


def nines(q):
    return -math.log10(1.0 - q)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--script", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="fillwire latency distribution")
    ap.add_argument("--match", default="", help="plot only benchmarks whose name matches (regex)")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()

    series = []  # (label, [(x, ns)])
    machine = ""
    for path in args.inputs:
        with open(path) as f:
            doc = json.load(f)
        ctx = doc.get("context", {})
        if not machine:
            machine = f"{ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz"
        for b in doc.get("benchmarks", []):
            if b.get("run_type") == "aggregate":
                continue
            if not all(k in b for k, _ in QUANTILES):
                continue
            if args.match and not re.search(args.match, b["name"]):
                continue
            points = [(nines(q), float(b[k])) for k, q in QUANTILES]
            # "full_path/AccountState/rate:100000/..." -> "full_path AccountState rate:100000"
            label = " ".join(b["name"].split("/")[:3])
            series.append((label, points))
    if not series:
        sys.exit("plot_latency: no benchmark with the p10_ns..p99.99_ns counters in the inputs")

    with open(args.data, "w") as f:
        for label, points in series:
            f.write(f"# {label}\n")
            for x, ns in points:
                f.write(f"{x:.6f} {ns:.3f}\n")
            f.write("\n\n")

    plots = ", ".join(
        f"'{args.data}' index {i} using 1:2 with linespoints title '{label}'"
        for i, (label, _) in enumerate(series))
    with open(args.script, "w") as f:
        f.write(f"""set terminal svg size 960,560 dynamic font 'sans,12' background rgb 'white'
set output '{args.out}'
set title "{args.title}\\n{{/*0.8 one-way, TSC stamped at both ends; {machine}}}"
set xlabel 'percentile'
set ylabel 'latency (ns, log scale)'
set logscale y
set grid xtics ytics mytics
set key left top noenhanced box opaque
set xtics ('10%%' {nines(0.10):.6f}, '50%%' {nines(0.5):.6f}, '90%%' {nines(0.9):.6f}, '99%%' {nines(0.99):.6f}, '99.9%%' {nines(0.999):.6f}, '99.99%%' {nines(0.9999):.6f})
plot {plots}
""")


if __name__ == "__main__":
    main()
