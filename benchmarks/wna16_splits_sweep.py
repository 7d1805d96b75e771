"""Per-layer time of a weight-only kernel at each forced split-K factor, beside its own
choice, to set the split models by measurement: the sm80 kernel (ops.SM80_SPLITS,
wna16_dispatch.hpp) or, with --path decode, the k64 decode kernel (ops.DECODE_SPLITS,
k64_decode_launch.cuh; k64 formats, M <= 16).

    python benchmarks/wna16_splits_sweep.py [--m 1 16] [--scheme int4] [--format int4_k64]
                                            [--path fused|decode] [--out x.json]

Same timing as `python -m qgemm.bench` (CUDA graphs, weights rotated beyond L2). Prints one
row per (layer, M): the table's plan and time, each forced factor's time, and the floor
(packed bytes over 3.35 TB/s).
"""
import argparse
import json
import math

import torch

import qgemm
from qgemm import _ext, ops
from qgemm.bench import LAYERS, ROTATE_BYTES, _time_us

PEAK_BYTES_PER_US = 3.35e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="llama3-70b", choices=list(LAYERS))
    p.add_argument("--m", nargs="+", type=int, default=[1, 16])
    p.add_argument("--scheme", default="int4")
    p.add_argument("--group", type=int, default=128)
    p.add_argument("--format", default=None)
    p.add_argument("--dtype", default="fp16", choices=["fp16", "bf16"])
    p.add_argument("--splits", nargs="+", type=int, default=[1, 2, 3, 4, 5, 6, 8])
    p.add_argument("--path", default="fused", choices=["fused", "decode"])
    p.add_argument("--out", default=None)
    a = p.parse_args()
    dtype = torch.float16 if a.dtype == "fp16" else torch.bfloat16
    if not torch.cuda.is_available():
        print("no CUDA device")
        return
    sms = _ext.num_sms(torch.device("cuda"))
    kind = {"int4": 0, "uint4": 1, "int8": 2}[a.scheme]
    rows = []
    ops.FORCE_PATH = a.path
    split_attr = "SM80_SPLITS" if a.path == "fused" else "DECODE_SPLITS"
    plan = (_ext.extension().wna16_plan if a.path == "fused"
            else lambda m, n, k, sms, kind: _ext.extension().wna16_decode_plan(kind, m, n, k, sms))
    # the decode plan rounds a forced split count to even k64-block cuts: record what ran
    forced_plan = (None if a.path == "fused" else
                   lambda m, n, k, s: _ext.extension().wna16_decode_plan(kind, m, n, k, sms, forced_splits=s))
    for lname, n, k in LAYERS[a.model]:
        w = (torch.randn(n, k, device="cuda") * 0.02).to(dtype)
        qw0 = qgemm.quantize(w, a.scheme, a.group, scale_dtype=dtype)
        pw0 = qgemm.prepack(qw0, "cuda", dtype, format=a.format)
        nbytes = pw0.packed.numel() + pw0.scales.numel() * 2 * (2 if pw0.zeros is not None else 1)
        copies = min(16, max(1, math.ceil(ROTATE_BYTES / nbytes)))
        weights = [pw0] + [qgemm.prepack(qgemm.quantize(w.roll(i, 0), a.scheme, a.group, scale_dtype=dtype),
                                         "cuda", dtype, format=a.format) for i in range(1, copies)]
        del w
        for m in a.m:
            x = torch.randn(m, k, device="cuda").to(dtype)
            row = dict(layer=lname, n=n, k=k, m=m, floor_us=nbytes / PEAK_BYTES_PER_US,
                       plan=plan(m, n, k, sms, kind), forced={}, forced_plans={})
            setattr(ops, split_attr, None)
            row["table_us"] = _time_us(lambda i: qgemm.linear(x, weights[i % copies]))
            for s in a.splits:
                setattr(ops, split_attr, s)
                row["forced"][s] = _time_us(lambda i: qgemm.linear(x, weights[i % copies]))
                if forced_plan:
                    row["forced_plans"][s] = forced_plan(m, n, k, s)
            setattr(ops, split_attr, None)
            rows.append(row)
            ran = {s: p.split("splits=")[1].split()[0] for s, p in row["forced_plans"].items()}
            forced = " ".join(f"s{s}{'(' + ran[s] + ')' if s in ran and ran[s] != str(s) else ''}={t:.1f}"
                              for s, t in row["forced"].items())
            print(f"{lname:8} M={m:<3} floor {row['floor_us']:6.1f}  table {row['table_us']:6.1f} ({row['plan']})  "
                  f"{forced}", flush=True)
        del weights
        torch.cuda.empty_cache()
    ops.FORCE_PATH = None
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
