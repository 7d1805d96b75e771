"""Relative errors of qgemm.linear against the float64 reference, per scheme, group size,
dtype, M and dispatch path: ||out - x @ dequant(W)^T|| / ||x @ dequant(W)^T|| (the
kernel's own error) and, beside it, the quantization error against the dense weight.

    python benchmarks/accuracy_wna16.py --out accuracy.json
"""
import argparse
import json

import torch

import qgemm
from qgemm import ops

SCHEMES = [("int4", "int"), ("uint4", "int"), ("uint4", "float"), ("int8", "int")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--k", type=int, default=4096)
    p.add_argument("--out", default="accuracy_wna16.json")
    args = p.parse_args()
    torch.manual_seed(0)
    w = torch.randn(args.n, args.k, device="cuda") * 0.02
    rows = []
    print(f"W [{args.n}, {args.k}] ~ N(0, 0.02^2), x ~ N(0, 1); kernel error | quantization error")
    for dtype in (torch.float16, torch.bfloat16):
        for scheme, zp in SCHEMES:
            for group in (32, 64, 128, -1):
                qw = qgemm.quantize(w.to(dtype), scheme, group, zero_point=zp, scale_dtype=dtype)
                pw = qgemm.prepack(qw, "cuda", dtype)
                ref_w = qw.dequantize().double()
                cells = []
                for m in (1, 17, 255, 4097):
                    x = torch.randn(m, args.k, device="cuda").to(dtype)
                    ref = x.double() @ ref_w.t()
                    dense = x.double() @ w.double().t()
                    for path in ("fused", "dense"):
                        ops.FORCE_PATH = path
                        out = qgemm.linear(x, pw).double()
                        ops.FORCE_PATH = None
                        kernel = ((out - ref).norm() / ref.norm()).item()
                        quant = ((out - dense).norm() / dense.norm()).item()
                        rows.append(dict(dtype=str(dtype), scheme=scheme, zero_point=zp, group=group,
                                         m=m, path=path, kernel_rel_err=kernel, quant_rel_err=quant))
                        cells.append(kernel)
                worst = max(cells)
                print(f"{str(dtype):<15} {scheme:<5} {zp:<5} g{group:<4} worst kernel rel err {worst:.2e} "
                      f"| quantization {rows[-1]['quant_rel_err']:.2e}")
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
