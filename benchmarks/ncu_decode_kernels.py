"""Profile target for ncu: the decode kernels on one 70B layer shape at M = 1 (W8A8 decode,
W8A8 sm90, W8A16 int8 k64 decode), each called three times. Usage on the GPU machine:
  ncu --clock-control none --metrics gpu__time_duration.sum,dram__bytes_read.sum,\
dram__throughput.avg.pct_of_peak_sustained_elapsed python3 benchmarks/ncu_decode_kernels.py [n k]
"""
import sys

import torch

import qgemm
from qgemm import w8a8
from qgemm.packed import k64_format
from qgemm.reference import activation_quant as ref

n, k = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (8192, 8192)
w = torch.randn(n, k, device="cuda") * 0.02
q, s = ref.quantize_per_token_int8(w)[:2]
q, s = q.contiguous(), s.view(1, -1).contiguous()
x = torch.randn(1, k, device="cuda").to(torch.bfloat16)
xq, xs = qgemm.quantize_per_token_int8(x)[:2]
pw = qgemm.prepack(qgemm.quantize(w.half(), "int8", -1, scale_dtype=torch.float16), w.device, torch.float16,
                   format=k64_format("int8"))
for path in ("decode", "sm90"):
    w8a8.FORCE_PATH = path
    for _ in range(3):
        w8a8.scaled_mm(xq, q, xs, s, torch.bfloat16)
w8a8.FORCE_PATH = None
for _ in range(3):
    qgemm.linear(x.half(), pw)
torch.cuda.synchronize()
print("done")
