"""Profile target for ncu: the sm90a W4A16 / W8A16 kernel on one layer shape, one table row
forced, called three times (profile the third: --launch-skip 2 --launch-count 1).

    python3 benchmarks/ncu_sm90_kernel.py ROW M [N K] [int4|uint4|int8]
e.g. on the GPU machine (or `bash benchmarks/gpu_checks.sh build ncu_sm90:1,64`):
    ncu --clock-control none -k regex:device_kernel --launch-skip 2 --launch-count 1 \\
        --section SpeedOfLight --section SchedulerStats --section WarpStateStats \\
        --section SourceCounters python3 benchmarks/ncu_sm90_kernel.py 1 64
Defaults: gate_up of Llama-3-70B (57344 x 8192), int4 g128 (int8: per channel), fp16.
"""
import sys

import torch

import qgemm
from qgemm import ops
from qgemm.packed import k64_format

row, m = int(sys.argv[1]), int(sys.argv[2])
n, k = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (57344, 8192)
scheme = sys.argv[5] if len(sys.argv) > 5 else "int4"
w = torch.randn(n, k, device="cuda") * 0.02
group = -1 if scheme == "int8" else 128
pw = qgemm.prepack(qgemm.quantize(w.half(), scheme, group, scale_dtype=torch.float16), w.device, torch.float16,
                   format=k64_format(scheme))
x = torch.randn(m, k, device="cuda").half()
ops.FORCE_PATH, ops.SM90_CONFIG = "sm90", row
try:
    for _ in range(3):
        qgemm.linear(x, pw)
finally:
    ops.FORCE_PATH = ops.SM90_CONFIG = None
torch.cuda.synchronize()
