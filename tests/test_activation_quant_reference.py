"""Reference W8A8 activation quantization and scaled_mm (qgemm.reference), on the CPU.

Expectations are computed here independently: grid inputs whose codes and scales are
known exactly, error bounds from the grid spacing, Python-integer loops for the
matrix product, and a separately written RMSNorm.
"""
import math

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm.reference import (
    fused_add_rmsnorm_quant,
    quantize_per_tensor_fp8,
    quantize_per_tensor_int8,
    quantize_per_token_fp8,
    quantize_per_token_int8,
    scaled_mm,
)

FLOAT_DTYPES = [torch.float32, torch.float16, torch.bfloat16]
FP8 = torch.float8_e4m3fn

# Leading shapes of x [..., K]: none, tokens, batch x tokens (including M = 1 and 17).
LEADING = st.sampled_from([(), (1,), (3,), (17,), (2, 3), (0,)])
K_SIZES = st.sampled_from([1, 2, 7, 16, 33, 128])
SEEDS = st.integers(0, 2**31 - 1)
MAGNITUDES = st.sampled_from([1e-6, 1e-2, 1.0, 30.0, 1e3])
# The checks below compute x - dequant(q) in float32, which adds its own rounding of a
# few ulps of |x| on top of the quantization error (visible at exact ties).
ROUNDING = 4 * 2.0**-24


def random_x(leading, k, dtype, magnitude, seed, outlier=False):
    """Gaussian activations of the given magnitude, optionally with one large outlier
    channel (as after attention), in `dtype`."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*leading, k, generator=gen) * magnitude
    if outlier:
        x[..., int(torch.randint(0, k, (), generator=gen))] *= 100
    return x.clamp(-6e4, 6e4).to(dtype)  # finite in float16


def fp8_half_step(q: torch.Tensor) -> torch.Tensor:
    """Half the spacing of the float8_e4m3fn grid in q's binade (3 mantissa bits,
    binades below 2^-6 are subnormal with spacing 2^-9)."""
    binade = torch.floor(torch.log2(q.float().abs().clamp(min=1e-30)))
    return torch.exp2(binade.clamp(min=-6) - 4)


# --------------------------------------------------------- per-token int8 and fp8

@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(leading=LEADING, k=K_SIZES, magnitude=MAGNITUDES, outlier=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
@example(leading=(), k=1, magnitude=1e-6, outlier=False, seed=200)  # float16 underflow to 0
def test_int8_symmetric_error_is_at_most_half_a_step(dtype, leading, k, magnitude, outlier, seed):
    x = random_x(leading, k, dtype, magnitude, seed, outlier)
    q, scale, zp = quantize_per_token_int8(x)

    assert zp is None
    assert q.dtype == torch.int8 and q.shape == x.shape
    assert scale.dtype == torch.float32 and scale.shape == (*leading, 1)
    xf = x.float()
    amax = xf.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12)
    assert torch.equal(scale, amax / 127)
    assert bool((q != -128).all())
    err = (xf - q.float() * scale).abs()
    assert bool((err <= scale / 2 + ROUNDING * xf.abs()).all())
    # The largest entry of each nonzero row reaches the end of the range (float16
    # rows of tiny values can underflow to all zeros: those get zero codes).
    nonzero = xf.abs().amax(dim=-1) > 0 if q.numel() else None
    if q.numel():
        assert bool((q.abs().amax(dim=-1)[nonzero] == 127).all())
        assert bool((q[~nonzero] == 0).all())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(leading=LEADING, k=K_SIZES, magnitude=MAGNITUDES,
       shift=st.sampled_from([-2.0, 0.0, 0.5, 3.0]), seed=SEEDS)
@example(leading=(17,), k=16, magnitude=1.0, shift=-2.0, seed=0)  # exact ties in bfloat16
@example(leading=(17,), k=1, magnitude=1e-6, shift=-2.0, seed=11)  # float16 underflow to 0
def test_int8_asymmetric_error_is_at_most_half_a_step(dtype, leading, k, magnitude, shift, seed):
    # shift moves rows off zero: all-positive rows, all-negative rows and mixed ones.
    x = (random_x(leading, k, torch.float32, magnitude, seed) + shift * magnitude).to(dtype)
    q, scale, zp = quantize_per_token_int8(x, symmetric=False)

    assert q.dtype == torch.int8 and q.shape == x.shape
    assert scale.dtype == torch.float32 and scale.shape == (*leading, 1)
    assert zp.dtype == torch.int32 and zp.shape == (*leading, 1)
    assert bool(((zp >= -128) & (zp <= 127)).all())
    xf = x.float()
    if xf.numel():
        lo = xf.amin(dim=-1, keepdim=True).clamp(max=0)
        hi = xf.amax(dim=-1, keepdim=True).clamp(min=0)
        assert torch.equal(scale, (hi - lo).clamp(min=1e-12) / 255)
    err = (xf - (q.float() - zp.float()) * scale).abs()
    assert bool((err <= scale / 2 + ROUNDING * (xf.abs() + scale)).all())
    # Zero is representable exactly: code zp dequantizes to 0.
    zeros = torch.zeros_like(x)
    qz, _, zpz = quantize_per_token_int8(torch.cat([x, zeros], dim=-1), symmetric=False)
    assert torch.equal(qz[..., k:].int(), zpz.expand(*leading, k))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(rows=st.integers(1, 5), k=K_SIZES, exponent=st.integers(-10, 5), seed=SEEDS)
def test_int8_symmetric_grid_inputs_roundtrip_exactly(dtype, rows, k, exponent, seed):
    gen = torch.Generator().manual_seed(seed)
    codes = torch.randint(-127, 128, (rows, k), generator=gen)
    top = torch.randint(0, k, (rows,), generator=gen)
    codes[torch.arange(rows), top] = 127 * (torch.randint(0, 2, (rows,), generator=gen) * 2 - 1)
    s = 2.0 ** exponent  # power of two: x is exact in all three dtypes
    x = (codes.float() * s).to(dtype)

    q, scale, _ = quantize_per_token_int8(x)
    assert torch.equal(q, codes.to(torch.int8))
    assert torch.equal(scale, torch.full((rows, 1), s))
    assert torch.equal(q.float() * scale, x.float())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(rows=st.integers(1, 5), k=st.integers(2, 40), exponent=st.integers(-10, 5),
       seed=st.integers(0, 2**31 - 1))
def test_int8_asymmetric_grid_inputs_roundtrip_exactly(dtype, rows, k, exponent, seed):
    gen = torch.Generator().manual_seed(seed)
    codes = torch.randint(-128, 128, (rows, k), generator=gen)
    codes[:, 0], codes[:, -1] = -128, 127  # both ends of the range in every row
    zp = torch.randint(-128, 128, (rows, 1), generator=gen)
    s = 2.0 ** exponent
    x = ((codes - zp).float() * s).to(dtype)  # |codes - zp| <= 255: exact in bfloat16

    q, scale, got_zp = quantize_per_token_int8(x, symmetric=False)
    assert torch.equal(q, codes.to(torch.int8))
    assert torch.equal(got_zp, zp.to(torch.int32))
    assert torch.equal(scale, torch.full((rows, 1), s))


def random_fp8_codes(rows, k, gen):
    """Random float8_e4m3fn values (no NaN, bit patterns 0x7f and 0xff), with +-448
    in the first column of each row."""
    bits = torch.randint(0, 254, (rows, k), generator=gen)
    bits = bits + (bits >= 0x7F).long()
    bits[:, 0] = 0x7E + 0x80 * torch.randint(0, 2, (rows,), generator=gen)
    return bits.to(torch.uint8).view(FP8)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(rows=st.integers(1, 5), k=st.integers(1, 40), exponent=st.integers(-5, 5),
       seed=st.integers(0, 2**31 - 1))
def test_fp8_grid_inputs_roundtrip_exactly(dtype, rows, k, exponent, seed):
    gen = torch.Generator().manual_seed(seed)
    codes = random_fp8_codes(rows, k, gen)
    s = 2.0 ** exponent
    x = (codes.float() * s).to(dtype)

    q, scale = quantize_per_token_fp8(x)
    assert q.dtype == FP8
    assert torch.equal(q.float(), codes.float())  # -0 and +0 both dequantize to 0
    assert torch.equal(scale, torch.full((rows, 1), s))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(leading=LEADING, k=K_SIZES, magnitude=MAGNITUDES, outlier=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
@example(leading=(17,), k=1, magnitude=1e-6, outlier=False, seed=97)  # float16 underflow to 0
def test_fp8_error_is_at_most_half_a_step(dtype, leading, k, magnitude, outlier, seed):
    x = random_x(leading, k, dtype, magnitude, seed, outlier)
    q, scale = quantize_per_token_fp8(x)

    assert q.dtype == FP8 and q.shape == x.shape
    assert scale.dtype == torch.float32 and scale.shape == (*leading, 1)
    assert not bool(torch.isnan(q.float()).any())
    xf = x.float()
    err = (xf - q.float() * scale).abs()
    assert bool((err <= fp8_half_step(q) * scale + ROUNDING * xf.abs()).all())
    if q.numel():  # each nonzero row's amax lands on 448 (see the int8 test)
        nonzero = xf.abs().amax(dim=-1) > 0
        assert bool((q.float().abs().amax(dim=-1)[nonzero] == 448).all())
        assert bool((q.float()[~nonzero] == 0).all())


@given(rows=st.integers(1, 4), k=st.integers(2, 33), ub=st.sampled_from([1e-3, 0.5, 3.0]),
       as_tensor=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_fp8_scale_ub_caps_the_scale_and_saturates(rows, k, ub, as_tensor, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, k, generator=gen) * ub
    x[:, 0] = 10 * ub  # past the bound in every row
    x[:, 1] = -1e6
    bound = torch.tensor([ub]) if as_tensor else ub
    q, scale = quantize_per_token_fp8(x, scale_ub=bound)

    assert torch.equal(scale, torch.full((rows, 1), ub, dtype=torch.float32) / 448)
    assert bool((q.float()[:, 0] == 448).all()) and bool((q.float()[:, 1] == -448).all())
    inside = x.abs() <= ub
    err = (x - q.float() * scale).abs()
    assert bool((err[inside] <= (fp8_half_step(q) * scale + ROUNDING * x.abs())[inside]).all())
    # A bound above every row's amax changes nothing.
    q_free, scale_free = quantize_per_token_fp8(x)
    q_loose, scale_loose = quantize_per_token_fp8(x, scale_ub=2e6)
    assert torch.equal(q_free.view(torch.uint8), q_loose.view(torch.uint8))
    assert torch.equal(scale_free, scale_loose)


def test_all_zero_rows_get_the_floor_scale_and_zero_codes():
    x = torch.zeros(2, 8)
    q, scale, _ = quantize_per_token_int8(x)
    assert torch.equal(q, torch.zeros(2, 8, dtype=torch.int8))
    assert torch.equal(scale, torch.full((2, 1), 1e-12) / 127)
    q, scale, zp = quantize_per_token_int8(x, symmetric=False)
    assert torch.equal(q.long() - zp.long(), torch.zeros(2, 8, dtype=torch.long))
    q, scale = quantize_per_token_fp8(x)
    assert torch.equal(q.float(), x) and bool((scale > 0).all())


# ------------------------------------------------------------------ per tensor

@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
@given(rows=st.integers(1, 4), k=st.integers(1, 33), s=st.sampled_from([1e-3, 0.25, 7.0]),
       seed=st.integers(0, 2**31 - 1))
def test_per_tensor_matches_the_formula_and_saturates(shape, rows, k, s, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, k, generator=gen) * 200 * s  # many entries past 127 s and 448 s
    scale = torch.full(shape, s, dtype=torch.float32)
    s32 = torch.tensor(s, dtype=torch.float32)

    q = quantize_per_tensor_int8(x, scale)
    assert q.dtype == torch.int8 and q.shape == x.shape
    assert torch.equal(q, torch.round(x / s32).clamp(-127, 127).to(torch.int8))

    q8 = quantize_per_tensor_fp8(x, scale)
    assert q8.dtype == FP8 and not bool(torch.isnan(q8.float()).any())
    assert torch.equal(q8.float()[x / s32 >= 448], torch.full_like(x[x / s32 >= 448], 448))
    assert torch.equal(q8.float()[x / s32 <= -448], torch.full_like(x[x / s32 <= -448], -448))


@given(k=K_SIZES, magnitude=MAGNITUDES, seed=st.integers(0, 2**31 - 1))
def test_per_tensor_with_the_row_scale_equals_per_token(k, magnitude, seed):
    x = random_x((1,), k, torch.float32, magnitude, seed)
    q, scale, _ = quantize_per_token_int8(x)
    assert torch.equal(quantize_per_tensor_int8(x, scale), q)
    q8, scale8 = quantize_per_token_fp8(x)
    assert torch.equal(quantize_per_tensor_fp8(x, scale8).view(torch.uint8), q8.view(torch.uint8))


# ---------------------------------------------- fused residual add + RMSNorm + quant

def unfused(x, residual, weight, eps, dtype, scale_ub):
    """The composition written out separately from the reference's own rms_norm."""
    new_residual = x + residual
    r = new_residual.float()
    normed = r * torch.rsqrt(r.pow(2).mean(dim=-1, keepdim=True) + eps) * weight.float()
    if dtype == "int8":
        q, scale, _ = quantize_per_token_int8(normed)
    else:
        q, scale = quantize_per_token_fp8(normed, scale_ub=scale_ub)
    return q, scale, new_residual, normed


@pytest.mark.parametrize("qdtype", ["int8", "fp8"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@given(leading=LEADING, k=K_SIZES, magnitude=MAGNITUDES, eps=st.sampled_from([1e-6, 1e-5]),
       use_ub=st.booleans(), weight_fp32=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_fused_add_rmsnorm_quant_equals_the_unfused_composition(
    qdtype, dtype, leading, k, magnitude, eps, use_ub, weight_fp32, seed,
):
    x = random_x(leading, k, dtype, magnitude, seed)
    residual = random_x(leading, k, dtype, magnitude, seed + 1, outlier=True)
    weight = (torch.rand(k, generator=torch.Generator().manual_seed(seed)) + 0.5)
    weight = weight if weight_fp32 else weight.to(dtype)
    scale_ub = 1.0 if (use_ub and qdtype == "fp8") else None
    x0, r0 = x.clone(), residual.clone()

    q, scale, new_residual = fused_add_rmsnorm_quant(x, residual, weight, eps, qdtype, scale_ub)
    want_q, want_scale, want_residual, normed = unfused(x, residual, weight, eps, qdtype, scale_ub)

    assert new_residual.dtype == dtype
    assert torch.equal(new_residual, want_residual)
    assert torch.equal(q.view(torch.uint8) if qdtype == "fp8" else q,
                       want_q.view(torch.uint8) if qdtype == "fp8" else want_q)
    assert torch.equal(scale, want_scale)
    assert torch.equal(x, x0) and torch.equal(residual, r0)  # inputs left alone
    # The norm itself against torch's own, to a float32 tolerance.
    if x.numel():
        torch_norm = torch.nn.functional.rms_norm(new_residual.float(), (k,), weight.float(), eps)
        torch.testing.assert_close(normed, torch_norm, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------- scaled_mm

def loop_scaled_mm(a_q, b_q, a_scale, b_scale, out_dtype, bias=None, azp=None):
    """Independent reference: Python integers (int8) or math.fsum of exact float
    products (fp8) per output, then the float32 epilogue one element at a time."""
    m, k = a_q.shape
    n = b_q.shape[0]
    a = a_q.tolist() if a_q.dtype == torch.int8 else a_q.double().tolist()
    b = b_q.tolist() if b_q.dtype == torch.int8 else b_q.double().tolist()
    a_s = a_scale.reshape(-1)
    b_s = b_scale.reshape(-1)
    z = None if azp is None else azp.reshape(-1).tolist()
    out = torch.empty(m, n, dtype=torch.float32)
    for i in range(m):
        for j in range(n):
            if a_q.dtype == torch.int8:
                zi = 0 if z is None else z[i if len(z) > 1 else 0]
                acc = sum((a[i][t] - zi) * b[j][t] for t in range(k))
            else:
                acc = math.fsum(a[i][t] * b[j][t] for t in range(k))
            v = b_s[j if len(b_s) > 1 else 0] * torch.tensor(acc, dtype=torch.float32)
            v = a_s[i if len(a_s) > 1 else 0] * v
            if bias is not None:
                v = v + bias[j].float()
            out[i, j] = v
    return out.to(out_dtype)


def random_codes(shape, dtype, gen):
    if dtype == torch.int8:
        return torch.randint(-128, 128, shape, generator=gen).to(torch.int8)
    bits = torch.randint(0, 254, shape, generator=gen)
    return (bits + (bits >= 0x7F).long()).to(torch.uint8).view(FP8)


SCALE_KINDS = st.sampled_from(["tensor0", "tensor1", "tensor11", "vector"])


def random_scale(kind, length, axis, gen):
    """A positive float32 scale: per tensor ([], [1], [1, 1]) or per row/column."""
    if kind == "vector":
        shape = (length, 1) if axis == 0 else (1, length)
    else:
        shape = {"tensor0": (), "tensor1": (1,), "tensor11": (1, 1)}[kind]
    return torch.rand(shape, generator=gen) * 0.1 + 1e-3


@pytest.mark.parametrize("code_dtype", [torch.int8, FP8], ids=["int8", "fp8"])
@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES, ids=str)
@given(m=st.sampled_from([0, 1, 3, 5]), n=st.integers(1, 5), k=st.integers(1, 9),
       a_kind=SCALE_KINDS, b_kind=SCALE_KINDS, with_bias=st.booleans(), seed=SEEDS)
def test_scaled_mm_equals_an_independent_loop(code_dtype, out_dtype, m, n, k, a_kind, b_kind,
                                              with_bias, seed):
    gen = torch.Generator().manual_seed(seed)
    a_q = random_codes((m, k), code_dtype, gen)
    b_q = random_codes((n, k), code_dtype, gen)
    a_scale = random_scale(a_kind, m, 0, gen)
    b_scale = random_scale(b_kind, n, 1, gen)
    bias = (torch.randn(n, generator=gen) * 10).to(out_dtype) if with_bias else None

    out = scaled_mm(a_q, b_q, a_scale, b_scale, out_dtype, bias=bias)
    assert out.dtype == out_dtype and out.shape == (m, n)
    assert torch.equal(out, loop_scaled_mm(a_q, b_q, a_scale, b_scale, out_dtype, bias))


@pytest.mark.parametrize("azp_kind", ["tensor", "token"])
@given(m=st.integers(1, 5), n=st.integers(1, 5), k=st.integers(1, 9), pass_colsum=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_scaled_mm_azp_correction_equals_shifted_codes(azp_kind, m, n, k, pass_colsum, seed):
    gen = torch.Generator().manual_seed(seed)
    a_q = random_codes((m, k), torch.int8, gen)
    b_q = random_codes((n, k), torch.int8, gen)
    azp_shape = (1,) if azp_kind == "tensor" else (m, 1)
    azp = torch.randint(-128, 128, azp_shape, generator=gen).to(torch.int32)
    a_scale = torch.rand(m, 1, generator=gen) + 0.01
    b_scale = torch.rand(1, n, generator=gen) + 0.01
    colsum = b_q.long().sum(dim=1).view(1, n).to(torch.int32) if pass_colsum else None

    out = scaled_mm(a_q, b_q, a_scale, b_scale, torch.float32, azp=azp, b_colsum=colsum)
    assert torch.equal(out, loop_scaled_mm(a_q, b_q, a_scale, b_scale, torch.float32, azp=azp))


def test_scaled_mm_int8_accumulation_is_exact_past_float32_integers():
    # K = 2048 of 127 * 127: |acc| = 33 032 192 > 2^24, compared with an int64 product;
    # the one rounding is float32(acc), as in the kernel's int32 -> float32 conversion.
    gen = torch.Generator().manual_seed(0)
    a_q = torch.full((3, 2048), 127, dtype=torch.int8)
    a_q[1] = torch.randint(-128, 128, (2048,), generator=gen).to(torch.int8)
    b_q = torch.full((2, 2048), 127, dtype=torch.int8)
    b_q[1, ::2] = -128
    one = torch.ones(1)
    want = (a_q.long() @ b_q.long().T).float()
    assert torch.equal(scaled_mm(a_q, b_q, one, one, torch.float32), want)


@given(m=st.integers(1, 4), n=st.integers(1, 4), k=st.integers(1, 9), seed=SEEDS)
def test_scale_shapes_broadcast_as_documented(m, n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    a_q = random_codes((m, k), torch.int8, gen)
    b_q = random_codes((n, k), torch.int8, gen)
    sa, sb = 0.03125, 0.25  # powers of two: every form below computes identical bits
    forms_a = [torch.full(s, sa) for s in [(), (1,), (1, 1), (m, 1)]]
    forms_b = [torch.full(s, sb) for s in [(), (1,), (1, 1), (1, n)]]
    outs = [scaled_mm(a_q, b_q, fa, fb, torch.float32) for fa in forms_a for fb in forms_b]
    for out in outs[1:]:
        assert torch.equal(out, outs[0])
    # Per token scales rows, per channel scales columns.
    a_scale = torch.rand(m, 1, generator=gen) + 0.1
    b_scale = torch.rand(1, n, generator=gen) + 0.1
    full = scaled_mm(a_q, b_q, a_scale, b_scale, torch.float32)
    for i in range(m):
        row = scaled_mm(a_q[i:i + 1].contiguous(), b_q, a_scale[i].view(1), b_scale, torch.float32)
        assert torch.equal(full[i:i + 1], row)


# -------------------------------------------------------------------- bad inputs

X = torch.randn(4, 8)
A8 = torch.randint(-128, 128, (3, 8), dtype=torch.int8)
B8 = torch.randint(-128, 128, (5, 8), dtype=torch.int8)
ONE = torch.ones(1)


def _nan_x():
    x = X.clone()
    x[1, 2] = float("nan")
    return x


BAD_CALLS = [
    # (function name, argument named in the error, call)
    ("quantize_per_token_int8", "x", lambda: quantize_per_token_int8(X.to(torch.int32))),
    ("quantize_per_token_int8", "x", lambda: quantize_per_token_int8(_nan_x())),
    ("quantize_per_token_int8", "x", lambda: quantize_per_token_int8(torch.zeros(4, 0))),
    ("quantize_per_token_int8", "x", lambda: quantize_per_token_int8(torch.zeros(8, 4).T)),
    ("quantize_per_token_int8", "symmetric", lambda: quantize_per_token_int8(X, symmetric="yes")),
    ("quantize_per_token_fp8", "x", lambda: quantize_per_token_fp8(torch.tensor(1.0))),
    ("quantize_per_token_fp8", "scale_ub", lambda: quantize_per_token_fp8(X, scale_ub=0.0)),
    ("quantize_per_token_fp8", "scale_ub", lambda: quantize_per_token_fp8(X, scale_ub=-1.0)),
    ("quantize_per_token_fp8", "scale_ub",
     lambda: quantize_per_token_fp8(X, scale_ub=float("nan"))),
    ("quantize_per_token_fp8", "scale_ub",
     lambda: quantize_per_token_fp8(X, scale_ub=torch.ones(2))),
    ("quantize_per_token_fp8", "scale_ub",
     lambda: quantize_per_token_fp8(X, scale_ub=torch.ones(1, dtype=torch.float16))),
    ("quantize_per_token_fp8", "scale_ub", lambda: quantize_per_token_fp8(X, scale_ub="1")),
    ("quantize_per_tensor_int8", "scale", lambda: quantize_per_tensor_int8(X, torch.ones(2))),
    ("quantize_per_tensor_int8", "scale", lambda: quantize_per_tensor_int8(X, torch.zeros(1))),
    ("quantize_per_tensor_int8", "scale", lambda: quantize_per_tensor_int8(X, 0.5)),
    ("quantize_per_tensor_int8", "scale",
     lambda: quantize_per_tensor_int8(X, torch.ones(1, dtype=torch.float64))),
    ("quantize_per_tensor_fp8", "scale", lambda: quantize_per_tensor_fp8(X, -ONE)),
    ("quantize_per_tensor_fp8", "x", lambda: quantize_per_tensor_fp8(X.double(), ONE)),
    ("fused_add_rmsnorm_quant", "residual",
     lambda: fused_add_rmsnorm_quant(X, torch.randn(4, 7), torch.ones(8), 1e-6)),
    ("fused_add_rmsnorm_quant", "residual",
     lambda: fused_add_rmsnorm_quant(X, X.half(), torch.ones(8), 1e-6)),
    ("fused_add_rmsnorm_quant", "weight",
     lambda: fused_add_rmsnorm_quant(X, X, torch.ones(7), 1e-6)),
    ("fused_add_rmsnorm_quant", "weight",
     lambda: fused_add_rmsnorm_quant(X.half(), X.half(), torch.ones(8).bfloat16(), 1e-6)),
    ("fused_add_rmsnorm_quant", "eps", lambda: fused_add_rmsnorm_quant(X, X, torch.ones(8), 0.0)),
    ("fused_add_rmsnorm_quant", "eps",
     lambda: fused_add_rmsnorm_quant(X, X, torch.ones(8), "1e-6")),
    ("fused_add_rmsnorm_quant", "dtype",
     lambda: fused_add_rmsnorm_quant(X, X, torch.ones(8), 1e-6, dtype="int4")),
    ("fused_add_rmsnorm_quant", "scale_ub",
     lambda: fused_add_rmsnorm_quant(X, X, torch.ones(8), 1e-6, dtype="int8", scale_ub=1.0)),
    ("fused_add_rmsnorm_quant", "x + residual",
     lambda: fused_add_rmsnorm_quant(torch.full((2, 4), 60000.0, dtype=torch.float16),
                                     torch.full((2, 4), 60000.0, dtype=torch.float16),
                                     torch.ones(4), 1e-6)),
    ("scaled_mm", "a_q", lambda: scaled_mm(A8.half(), B8, ONE, ONE, torch.float16)),
    ("scaled_mm", "a_q", lambda: scaled_mm(A8.view(-1), B8, ONE, ONE, torch.float16)),
    ("scaled_mm", "b_q", lambda: scaled_mm(A8.float().to(FP8), B8, ONE, ONE, torch.float16)),
    ("scaled_mm", "b_q", lambda: scaled_mm(A8, B8[:, :7].contiguous(), ONE, ONE, torch.float16)),
    ("scaled_mm", "b_q", lambda: scaled_mm(A8, B8.T.contiguous().T, ONE, ONE, torch.float16)),
    ("scaled_mm", "b_q", lambda: scaled_mm(A8, B8[:0], ONE, ONE, torch.float16)),
    ("scaled_mm", "a_scale", lambda: scaled_mm(A8, B8, torch.ones(3), ONE, torch.float16)),
    ("scaled_mm", "a_scale", lambda: scaled_mm(A8, B8, ONE.half(), ONE, torch.float16)),
    ("scaled_mm", "a_scale", lambda: scaled_mm(A8, B8, torch.full((1,), float("inf")), ONE,
                                               torch.float16)),
    ("scaled_mm", "b_scale", lambda: scaled_mm(A8, B8, ONE, torch.ones(5), torch.float16)),
    ("scaled_mm", "b_scale", lambda: scaled_mm(A8, B8, ONE, torch.ones(5, 1), torch.float16)),
    ("scaled_mm", "b_scale", lambda: scaled_mm(A8, B8, ONE, torch.ones(5, 2).T, torch.float16)),
    ("scaled_mm", "out_dtype", lambda: scaled_mm(A8, B8, ONE, ONE, torch.int32)),
    ("scaled_mm", "bias", lambda: scaled_mm(A8, B8, ONE, ONE, torch.float16, bias=torch.ones(5))),
    ("scaled_mm", "bias",
     lambda: scaled_mm(A8, B8, ONE, ONE, torch.float32, bias=torch.ones(4))),
    ("scaled_mm", "azp", lambda: scaled_mm(A8.float().to(FP8), B8.float().to(FP8), ONE, ONE,
                                           torch.float16, azp=torch.zeros(1, dtype=torch.int32))),
    ("scaled_mm", "azp", lambda: scaled_mm(A8, B8, ONE, ONE, torch.float16,
                                           azp=torch.zeros(1, dtype=torch.int64))),
    ("scaled_mm", "azp", lambda: scaled_mm(A8, B8, ONE, ONE, torch.float16,
                                           azp=torch.zeros(3, dtype=torch.int32))),
    ("scaled_mm", "b_colsum", lambda: scaled_mm(A8, B8, ONE, ONE, torch.float16,
                                                b_colsum=torch.zeros(1, 5, dtype=torch.int32))),
    ("scaled_mm", "b_colsum", lambda: scaled_mm(
        A8, B8, ONE, ONE, torch.float16, azp=torch.zeros(1, dtype=torch.int32),
        b_colsum=B8.long().sum(1).view(1, 5).to(torch.int32) + 1)),
    ("scaled_mm", "b_colsum", lambda: scaled_mm(
        A8, B8, ONE, ONE, torch.float16, azp=torch.zeros(1, dtype=torch.int32),
        b_colsum=B8.long().sum(1).to(torch.int32))),
]


@pytest.mark.parametrize("fn, arg, call", BAD_CALLS,
                         ids=[f"{f}-{a}-{i}" for i, (f, a, _) in enumerate(BAD_CALLS)])
def test_bad_inputs_raise_value_error_naming_function_and_argument(fn, arg, call):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(f"qgemm.{fn}: {arg} ")
