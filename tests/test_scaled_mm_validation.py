"""qgemm.w8a8.scaled_mm refuses bad input by name before any kernel runs (CPU-runnable:
every rule is checked before the device rule)."""
import pytest
import torch

from qgemm.w8a8 import scaled_mm

I8, F8 = torch.int8, torch.float8_e4m3fn


def _args(m=4, n=16, k=32, dtype=I8):
    a = torch.zeros(m, k, dtype=dtype)
    b = torch.zeros(n, k, dtype=dtype)
    return a, b, torch.ones(m, 1), torch.ones(1, n)


@pytest.mark.parametrize("change,match", [
    (dict(a_q=torch.zeros(4, 32)), r"a_q must have dtype"),
    (dict(b_q=torch.zeros(16, 32, dtype=F8)), r"b_q must have dtype"),
    (dict(a_q=torch.zeros(4, 24, dtype=I8)), r"b_q must be \[N, K\] with K = 24"),
    (dict(a_q=torch.zeros(4, 24, dtype=I8), b_q=torch.zeros(16, 24, dtype=I8)),
     r"a_q must have K a positive multiple of 16, got K = 24"),
    (dict(b_q=torch.zeros(12, 32, dtype=I8), b_scale=torch.ones(1)),
     r"b_q must have N a positive multiple of 8, got N = 12"),
    (dict(a_q=torch.zeros(32, 4, dtype=I8).t()), r"a_q must be contiguous"),
    (dict(a_scale=torch.ones(4)), r"a_scale must have one of the shapes .*got shape \(4,\)"),
    (dict(a_scale=torch.ones(4, 1, dtype=torch.float16)), r"a_scale must have dtype"),
    (dict(b_scale=torch.ones(16, 1)), r"b_scale must have one of the shapes .*got shape \(16, 1\)"),
    (dict(out_dtype=torch.float32), r"out_dtype must be one of"),
    (dict(bias=torch.zeros(16)), r"bias must have dtype"),
    (dict(bias=torch.zeros(8, dtype=torch.float16)), r"bias must have shape \[16\], got shape \(8,\)"),
    (dict(azp=torch.zeros(4, 1, dtype=torch.int64)), r"azp must have dtype"),
    (dict(b_colsum=torch.zeros(1, 16, dtype=torch.int32)), r"b_colsum must be None when azp is None"),
    (dict(azp=torch.zeros(1, dtype=torch.int32), b_colsum=torch.zeros(16, dtype=torch.int32)),
     r"b_colsum must have shape \[1, 16\], got shape \(16,\)"),
])
def test_refused_by_name(change, match):
    a, b, sa, sb = _args()
    kw = dict(a_q=a, b_q=b, a_scale=sa, b_scale=sb, out_dtype=torch.float16)
    kw.update(change)
    with pytest.raises(ValueError, match=match):
        scaled_mm(**kw)


def test_fp8_with_azp_refused():
    a, b, sa, sb = _args(dtype=F8)
    with pytest.raises(ValueError, match=r"azp must be None for float8_e4m3fn"):
        scaled_mm(a, b, sa, sb, torch.bfloat16, azp=torch.zeros(1, dtype=torch.int32))


def test_valid_cpu_tensors_refused_for_device():
    a, b, sa, sb = _args()
    with pytest.raises(ValueError, match=r"a_q must be on a CUDA device, got cpu"):
        scaled_mm(a, b, sa, sb, torch.float16, bias=torch.zeros(16, dtype=torch.float16),
                  azp=torch.zeros(4, 1, dtype=torch.int32))
