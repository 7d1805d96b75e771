"""Problem builders and the checker the W8A8 GPU tests share (test_scaled_mm_gpu.py,
test_scaled_mm_decode_gpu.py): int8 bit-identical to qgemm.reference.scaled_mm, fp8
within FP8_REL_BOUND, and no NaN left in the (poisoned) output."""
import torch

from qgemm import w8a8
from qgemm.reference.scaled_mm import scaled_mm as ref_scaled_mm

I8, F8 = torch.int8, torch.float8_e4m3fn
OUT = [torch.float16, torch.bfloat16]
FP8_REL_BOUND = 3e-3   # ||out - ref|| / ||ref||; fp16/bf16 output rounding included


def _codes(shape, dtype, gen, lo=-128):
    if dtype == I8:
        return torch.randint(lo, 128, shape, generator=gen, dtype=torch.int8).cuda()
    return (torch.randn(shape, generator=gen) * 64).clamp(-448, 448).to(F8).cuda()


def _problem(m, n, k, dtype, out_dtype, a_per_token, b_per_channel, bias, azp, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = _codes((m, k), dtype, g)
    b = _codes((n, k), dtype, g, lo=-127)
    a_scale = (torch.rand((m, 1) if a_per_token else (1,), generator=g) + 0.5).cuda() * 1e-2
    b_scale = (torch.rand((1, n) if b_per_channel else (), generator=g) + 0.5).cuda() * 1e-2
    kw = {}
    if bias:
        kw["bias"] = torch.randn(n, generator=g).to(out_dtype).cuda()
    if azp == "token":
        kw["azp"] = torch.randint(-128, 128, (m, 1), generator=g, dtype=torch.int32).cuda()
    elif azp == "tensor":
        kw["azp"] = torch.tensor([3], dtype=torch.int32).cuda()
    return (a, b, a_scale, b_scale, out_dtype), kw


def _check(args, kw):
    out = w8a8.scaled_mm(*args, **kw)
    ref = ref_scaled_mm(*args, **kw)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    assert not torch.isnan(out).any(), "NaN in the output: an element was not written"
    if args[0].dtype == I8:
        bad = (out != ref).nonzero()
        assert bad.numel() == 0, f"{bad.shape[0]} elements differ, first at {bad[0].tolist()}: " \
                                 f"{out[tuple(bad[0])].item()} vs {ref[tuple(bad[0])].item()}"
    else:
        err = ((out.double() - ref.double()).norm() / ref.double().norm()).item()
        assert err < FP8_REL_BOUND, f"rel err {err:.2e}"
    return out


def _check_large_k_int32_accumulation():
    # K = 28672 (Llama-3-70B down_proj) with extreme codes: |acc| up to 4.7e8 < 2^31.
    m, n, k = 5, 64, 28672
    a = torch.full((m, k), -128, dtype=I8, device="cuda")
    b = torch.full((n, k), 127, dtype=I8, device="cuda")
    b[1::2] = -127
    one = torch.ones(1, device="cuda")
    _check((a, b, one * 1e-6, one, torch.float16), {})
