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


def test_w8a8_linear_builds_on_cpu_and_refuses_bad_options():
    from qgemm.nn import W8A8Linear, convert_to_w8a8

    torch.manual_seed(0)
    lin = torch.nn.Linear(64, 32)
    mod = W8A8Linear.from_linear(lin, "int8")
    assert mod.weight_q.dtype == torch.int8 and mod.weight_scale.shape == (1, 32)
    # per-channel symmetric: codes in [-127, 127], and q * s reproduces W to half a step
    w_hat = mod.weight_q.float() * mod.weight_scale.view(-1, 1)
    assert (w_hat - lin.weight).abs().max() <= mod.weight_scale.max() / 2 + 1e-7
    assert mod.weight_q.abs().max() <= 127
    fp8 = W8A8Linear.from_linear(lin, "fp8")
    assert fp8.weight_q.dtype == torch.float8_e4m3fn
    with pytest.raises(ValueError, match="dtype must be one of"):
        W8A8Linear.from_linear(lin, "int4")
    with pytest.raises(ValueError, match="act_symmetric must be True for fp8"):
        W8A8Linear.from_linear(lin, "fp8", act_symmetric=False)
    with pytest.raises(ValueError, match="act_scale_ub must be None for int8"):
        W8A8Linear.from_linear(lin, "int8", act_scale_ub=10.0)
    asym = W8A8Linear.from_linear(lin, "int8", act_symmetric=False)
    assert torch.equal(asym.weight_colsum, asym.weight_q.sum(1, dtype=torch.int32).view(1, -1))

    model = torch.nn.ModuleDict({"q_proj": torch.nn.Linear(16, 16), "o_proj": torch.nn.Linear(16, 16)})
    assert convert_to_w8a8(model, "int8") == ["q_proj"]
    assert isinstance(model["q_proj"], W8A8Linear) and isinstance(model["o_proj"], torch.nn.Linear)


def test_public_name():
    import qgemm

    assert qgemm.scaled_mm is scaled_mm and qgemm.w8a8.scaled_mm is scaled_mm


@pytest.mark.parametrize("m,k", [(17, 64), (4, 80)])
def test_forced_decode_path_refuses_sizes_it_cannot_run(m, k):
    from qgemm import w8a8
    a, b, sa, sb = _args(m=m, k=k)
    w8a8.FORCE_PATH = "decode"
    try:
        with pytest.raises(ValueError, match=r"a_q must have M <= 16 and K % 64 == 0 with FORCE_PATH 'decode', "
                                             rf"got shape \[{m}, {k}\]"):
            scaled_mm(a, b, sa, sb, torch.float16)
    finally:
        w8a8.FORCE_PATH = None
