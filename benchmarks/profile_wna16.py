"""Per-kernel GPU times of qgemm.linear on the Llama-3-70B layer shapes (torch.profiler),
to see where the summed time of the bench goes: main kernel, split-K reduce, gaps.

    python benchmarks/profile_wna16.py [--m 1 16 64] [--scheme int4] [--layers gate_up]
        [--format int4_k64 [--sm90-config ROW]] [--path decode]

Under ncu (one launch of the GEMM kernel per shape, clocks as in the bench):
    ncu --clock-control none -k regex:device_kernel --launch-skip 3 --launch-count 1 \
        python benchmarks/profile_wna16.py --format int4_k64 --m 64 --layers gate_up
"""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile

import qgemm
from qgemm.bench import LAYERS
from qgemm import ops


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--m", nargs="+", type=int, default=[1, 16, 64])
    p.add_argument("--scheme", default="int4")
    p.add_argument("--layers", nargs="+", default=[name for name, _, _ in LAYERS["llama3-70b"]])
    p.add_argument("--format", default=None, help="prepack format (int4_k64: the sm90a kernel)")
    p.add_argument("--sm90-config", type=int, default=None, help="force a row of the sm90a table")
    p.add_argument("--path", default=None, help="force a path of the dispatch (qgemm.ops.FORCE_PATH: decode, fused, ...)")
    args = p.parse_args()
    torch.manual_seed(0)
    ops.SM90_CONFIG = args.sm90_config
    ops.FORCE_PATH = args.path
    for name, n, k in LAYERS["llama3-70b"]:
        if name not in args.layers:
            continue
        w = (torch.randn(n, k, device="cuda") * 0.02).half()
        pw = qgemm.prepack(qgemm.quantize(w, args.scheme, 128 if args.scheme != "int8" else -1), "cuda",
                           format=args.format)
        for m in args.m:
            x = torch.randn(m, k, device="cuda").half()
            for _ in range(3):
                qgemm.linear(x, pw)
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(10):
                    qgemm.linear(x, pw)
                torch.cuda.synchronize()
            kernels = {}
            for e in prof.events():
                if e.device_type == torch.autograd.DeviceType.CUDA:
                    name = e.name.split("<")[0].split("(")[0][-40:]
                    kernels.setdefault(name, []).append(e.device_time_total)
            if not kernels:  # under ncu the profiler gets no CUPTI events: nothing to print
                continue
            cells = ", ".join(f"{name}: {sum(t) / len(t):.1f} us" for name, t in kernels.items())
            bytes_ = n * k * 0.5 + n * k / 128 * 2
            main_us = max(sum(t) / len(t) for t in kernels.values())
            ext = ops._ext.extension()
            plan = (ext.wna16_decode_plan(pw.kind, m, n, k, 132) if args.path == "decode"
                    else f"sm90 row {args.sm90_config}" if pw.format == "int4_k64"
                    else ext.wna16_plan(m, n, k, 132, pw.kind))
            print(f"N={n:<6} K={k:<6} M={m:<4} {plan} | {cells} | "
                  f"main kernel {bytes_ / main_us / 1e3:.0f} GB/s")


if __name__ == "__main__":
    main()
