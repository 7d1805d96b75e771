"""Summarise benchmarks/sm90_timeline.cu's CSV: per layer, where a CTA's time goes.

    python3 benchmarks/sm90_timeline.py timeline.csv [more.csv ...]

Times in us from the first CTA's start (t = 0). Per layer: the launch's best event time; the
span from the first CTA's start to the last CTA's end; when CTAs reach their first mma();
the wait for the first k-tile; the mainloop's time a k-tile (first k-tile landed -> mma_tail
left, over its k-tiles); the gap between a CTA's units (the stream-K fix-up, the epilogue
and the next unit's fetch); from a CTA's last mma_tail to its end (fix-up, epilogue, store).
"""
import csv
import statistics as st
import sys
from collections import defaultdict


def _fmt(xs):
    return f"{min(xs):6.2f} {st.mean(xs):6.2f} {max(xs):6.2f}" if xs else "     -      -      -"


def summarise(path: str) -> str:
    rows = defaultdict(list)
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[(r["layer"], int(r["m"]), int(r["decomposition"]))].append(r)
    out = [f"{'layer':<8} {'M':>5} {'dec':>4} {'event':>6} {'span':>6} {'ctas':>4} {'units':>5} {'k/unit':>8} | "
           f"{'first mma (min mean max)':>24} | {'1st k-tile wait':>20} | {'ns a k-tile':>20} | "
           f"{'gap between units':>20} | {'last mma -> end':>20}"]
    for (layer, m, dec), rs in rows.items():
        t0 = min(int(r["cta_begin"]) for r in rs)
        us = lambda r, key: (int(r[key]) - t0) / 1e3  # noqa: E731
        by_cta = defaultdict(list)
        for r in rs:
            by_cta[int(r["cta"])].append(r)
        starts, waits, per_k, gaps, tails = [], [], [], [], []
        for units in by_cta.values():
            units.sort(key=lambda r: int(r["unit"]))
            starts.append(us(units[0], "mma_begin"))
            tails.append(us(units[-1], "cta_end") - us(units[-1], "mma_end"))
            for i, r in enumerate(units):
                waits.append(us(r, "first_data") - us(r, "mma_begin"))
                per_k.append((int(r["mma_end"]) - int(r["first_data"])) / int(r["k_tiles"]))
                if i + 1 < len(units):
                    gaps.append(us(units[i + 1], "mma_begin") - us(r, "mma_end"))
        ks = [int(r["k_tiles"]) for r in rs]
        span = max(us(r, "cta_end") for r in rs)
        out.append(f"{layer:<8} {m:>5} {dec:>4} {float(rs[0]['kernel_us']):6.1f} {span:6.1f} {len(by_cta):>4} "
                   f"{len(rs):>5} {min(ks):>3}-{max(ks):<4} | {_fmt(starts):>24} | {_fmt(waits)} | "
                   f"{min(per_k):6.0f} {st.mean(per_k):6.0f} {max(per_k):6.0f} | {_fmt(gaps)} | {_fmt(tails)}")
    return "\n".join(out)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(summarise(path))
