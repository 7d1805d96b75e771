"""Per-kernel GPU times of qgemm.linear on the Llama-3-70B layer shapes (torch.profiler),
to see where the summed time of the bench goes: main kernel, split-K reduce, gaps.

    python benchmarks/profile_wna16.py [--m 1 16 64] [--scheme int4]
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
    args = p.parse_args()
    torch.manual_seed(0)
    for _, n, k in LAYERS["llama3-70b"]:
        w = (torch.randn(n, k, device="cuda") * 0.02).half()
        pw = qgemm.prepack(qgemm.quantize(w, args.scheme, 128 if args.scheme != "int8" else -1), "cuda")
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
            cells = ", ".join(f"{name}: {sum(t) / len(t):.1f} us" for name, t in kernels.items())
            bytes_ = n * k * 0.5 + n * k / 128 * 2
            main_us = max(sum(t) / len(t) for t in kernels.values())
            print(f"N={n:<6} K={k:<6} M={m:<4} {ops._ext.extension().wna16_plan(m, n, k, 132, pw.kind)} | {cells} | "
                  f"main kernel {bytes_ / main_us / 1e3:.0f} GB/s")


if __name__ == "__main__":
    main()
