"""Profile target for ncu: the decode kernels on one layer shape at M tokens (fourth
argument, default 1), each called three times. kind "w8a8": the W8A8 decode and sm90
kernels and the W8A16 int8 k64 decode kernel on the same weights; kind "int4": the W4A16
int4 g128 k64 decode kernel (fp16), forced at any M <= 16.
On the GPU machine, e.g.
  ncu --clock-control none --metrics gpu__time_duration.sum,dram__bytes_read.sum \\
      python3 benchmarks/ncu_decode_kernels.py 8192 8192 w8a8
  ncu --clock-control none -k regex:k64_decode --launch-skip 2 --launch-count 1 \\
      --section WarpStateStats --section SourceCounters python3 benchmarks/ncu_decode_kernels.py 57344 8192 int4
(results: benchmarks/results/ncu_*.txt)
"""
import sys

import torch

import qgemm
from qgemm import ops, w8a8
from qgemm.packed import k64_format
from qgemm.reference import activation_quant as ref

n, k = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (8192, 8192)
kind = sys.argv[3] if len(sys.argv) > 3 else "w8a8"
m = int(sys.argv[4]) if len(sys.argv) > 4 else 1
w = torch.randn(n, k, device="cuda") * 0.02
x = torch.randn(m, k, device="cuda").to(torch.float16)
if kind == "int4":
    pw = qgemm.prepack(qgemm.quantize(w.half(), "int4", 128, scale_dtype=torch.float16), w.device, torch.float16,
                       format=k64_format("int4"))
    ops.FORCE_PATH = "decode"  # the k64 decode kernel at any M <= 16 (int4 routes there up to 8)
    for _ in range(3):
        qgemm.linear(x, pw)
    ops.FORCE_PATH = None
else:
    q, s = ref.quantize_per_token_int8(w)[:2]
    q, s = q.contiguous(), s.view(1, -1).contiguous()
    xq, xs = qgemm.quantize_per_token_int8(x.to(torch.bfloat16))[:2]
    for path in ("decode", "sm90"):
        w8a8.FORCE_PATH = path
        for _ in range(3):
            w8a8.scaled_mm(xq, q, xs, s, torch.bfloat16)
    w8a8.FORCE_PATH = None
    pw = qgemm.prepack(qgemm.quantize(w.half(), "int8", -1, scale_dtype=torch.float16), w.device, torch.float16,
                       format=k64_format("int8"))
    for _ in range(3):
        qgemm.linear(x, pw)
torch.cuda.synchronize()
print("done")
