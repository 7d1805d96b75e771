"""`python -m qgemm [info|demo]`: what this install can do, shown on a random weight;
`demo` runs a Llama-style block dense and quantized on the GPU (qgemm/demo.py).

Quantizes one random [N, K] weight in every scheme, reports the reference
dequantization error, packs it into its kernel format, and says whether the CUDA
kernels can run here (and why not).
"""
from __future__ import annotations

import argparse
import sys

import torch

import qgemm
from qgemm import kernel_format
from qgemm.schemes import SCHEMES

_KERNEL_FORMAT = {
    "int4": kernel_format.pack_int4_fragment,
    "uint4": kernel_format.pack_int4_fragment,
    "int8": kernel_format.pack_int8_fragment,
}


def _pack(scheme: str, qw) -> str:
    if qgemm._ext._C is None:
        return "-"
    if scheme in _KERNEL_FORMAT:
        return f"{_KERNEL_FORMAT[scheme](qw.qdata).numel()} B"
    info = SCHEMES[scheme]
    if info.is_fpx:
        return f"{kernel_format.pack_tc_fpx(qw.qdata, info.bits).numel()} B"
    return "-"


def info(n: int, k: int, group_size: int) -> int:
    print(f"qgemm {qgemm.__version__}  torch {torch.__version__}")
    print(f"CUDA kernels: {qgemm.cuda_available()!r}")
    torch.manual_seed(0)
    w = torch.randn(n, k, dtype=torch.float16)
    print(f"\nrandom weight [{n}, {k}], group size {group_size}: reference dequantization")
    print(f"{'scheme':<10} {'rel. error':>10} {'kernel format':>14}")
    for name in SCHEMES:
        qw = qgemm.quantize(w, name, group_size)
        rel = ((qw.dequantize() - w.float()).norm() / w.float().norm()).item()
        print(f"{name:<10} {rel:>10.4f} {_pack(name, qw):>14}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qgemm", description=__doc__)
    parser.add_argument("command", nargs="?", default="info", choices=["info", "demo"],
                        help="info (default): this install on a random weight; demo: a "
                             "Llama-style block, dense and quantized (needs a GPU)")
    parser.add_argument("--scheme", default="int4", choices=["int4", "uint4", "int8"])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--k", type=int, default=1024)
    parser.add_argument("--group-size", type=int, default=128)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from qgemm.demo import main as demo
        return demo(args.scheme, args.group_size if args.scheme != "int8" else -1)
    return info(args.n, args.k, args.group_size)


if __name__ == "__main__":
    sys.exit(main())
