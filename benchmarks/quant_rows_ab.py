"""Per-token activation quantization alone: time per call and bytes moved (x read once,
codes written) for rows held in registers against rows re-read from L2 (the streamed
kernel), at nearly the same row length: K = 28672 (Llama-3-70B's down_proj input; in
registers, 896 threads x 4 chunks) and K = 32776 (past 32768: streamed). CUDA-graph
timing of 50 calls, median of 5 replays (qgemm.bench's). Run on a GPU machine:
  python3 benchmarks/quant_rows_ab.py [--out results.json]
"""
import argparse
import json

import torch

import qgemm
from qgemm.bench import _graph_time_us  # the benchmark's CUDA-graph timing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("quant_rows_ab: no GPU here")
        return
    ext = qgemm._ext.extension()
    rows = []
    for k in (28672, 32776):
        print(f"K={k}: {ext.quant_plan(k)}")
        for m in (1, 16, 4096):
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            for name, fn in (("int8", lambda: qgemm.quantize_per_token_int8(x)),
                             ("fp8", lambda: qgemm.quantize_per_token_fp8(x))):
                us = _graph_time_us(lambda i: fn(), calls_per_graph=50, replays=5)
                gbps = m * k * 3 / us / 1e3  # bf16 in, one byte out
                rows.append(dict(k=k, m=m, kind=name, us=us, gbps=gbps))
                print(f"  K={k:<6} M={m:<5} {name:<4} {us:8.2f} us  {gbps:7.0f} GB/s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
