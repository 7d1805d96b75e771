"""Scheme table, QuantizedWeight and the reference quantizer / dequantizer.

Two kinds of check:
- on the grid: codes, power-of-two scales and zeros are drawn first and the weight is
  built from them, so quantize must give them back exactly and dequantize must give
  the weight back exactly;
- random weights: the dequantized weight lies within half a quantization step of the
  original (plus the rounding of the stored scale, for float16/bfloat16 scales).
"""
import math

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm.quantized import QuantizedWeight
from qgemm.reference import dequantize, fpx_decode, quantize
from qgemm.schemes import SCHEME_NAMES, get_scheme

SCALE_DTYPES = [torch.float16, torch.bfloat16, torch.float32]
GROUP_SIZES = [32, 64, 128, -1]
# Unit roundoff of each stored scale dtype.
UNIT_ROUNDOFF = {torch.float16: 2.0**-11, torch.bfloat16: 2.0**-8, torch.float32: 0.0}
# Largest code magnitude, the one amax is mapped to.
TOP = {"int4": 7, "int8": 127, "uint4": 15, "fp8_e4m3": 448.0}


def test_scheme_table():
    expected = {  # name: (bits, signed, asymmetric, code_min, code_max, qdata dtype)
        "int4": (4, True, False, -8, 7, torch.int8),
        "uint4": (4, False, True, 0, 15, torch.uint8),
        "int8": (8, True, False, -127, 127, torch.int8),
        "fp6_e3m2": (6, True, False, 0, 63, torch.uint8),
        "fp6_e2m3": (6, True, False, 0, 63, torch.uint8),
        "fp5_e3m1": (5, True, False, 0, 31, torch.uint8),
        "fp5_e2m2": (5, True, False, 0, 31, torch.uint8),
        "fp4_e2m1": (4, True, False, 0, 15, torch.uint8),
        "fp8_e4m3": (8, True, False, 0, 255, torch.float8_e4m3fn),
    }
    assert set(SCHEME_NAMES) == set(expected)
    for name, row in expected.items():
        s = get_scheme(name)
        assert (s.bits, s.signed, s.asymmetric, s.code_min, s.code_max, s.qdata_dtype) == row
        assert s.name == name
    e4m3 = get_scheme("fp8_e4m3")
    assert (e4m3.ebits, e4m3.mbits, e4m3.bias, e4m3.max_normal) == (4, 3, 7, 448.0)
    assert get_scheme("int4").max_normal is None


def test_get_scheme_names_the_bad_value():
    with pytest.raises(ValueError, match="name.*'int3'"):
        get_scheme("int3")


# --- building weights on the grid ------------------------------------------------


def top(scheme: str) -> float:
    s = get_scheme(scheme)
    return s.max_normal if s.is_fpx else TOP[scheme]


def grid_codes(scheme: str, n: int, k: int, g: int, gen: torch.Generator) -> torch.Tensor:
    """Random codes [N, K] in which every group reaches amax (and, for uint4, both
    ends 0 and 15), so that min-max quantization recovers the drawn scale."""
    s = get_scheme(scheme)
    groups = k // g
    first = (torch.arange(n * groups) * g).view(n, groups)  # first column of each group
    pos = first + torch.randint(0, g, (n, groups), generator=gen)
    other = first + (pos - first + 1) % g  # another column of the same group

    if s.kind == "int":
        lo = 0 if s.asymmetric else -s.code_max  # int4 draws from [-7, 7]: -8 would set amax
        codes = torch.randint(lo, s.code_max + 1, (n, k), generator=gen)
        if s.asymmetric:
            codes.view(-1)[pos.view(-1)] = 0
            codes.view(-1)[other.view(-1)] = s.code_max
        else:
            sign = torch.randint(0, 2, (n, groups), generator=gen) * 2 - 1
            codes.view(-1)[pos.view(-1)] = (sign * s.code_max).view(-1)
        return codes.to(s.qdata_dtype)

    # Float codes: raw bit patterns, with the largest magnitude forced in each group.
    sign_bit = 1 << (s.bits - 1)
    if s.is_fpx:
        codes = torch.randint(0, s.code_max + 1, (n, k), generator=gen)
        top_code = sign_bit - 1
    else:  # fp8_e4m3: 0x7f and 0xff are NaN, 0x7e is 448
        codes = torch.randint(0, 254, (n, k), generator=gen)
        codes = codes + (codes >= 0x7F).long()
        top_code = 0x7E
    signs = torch.randint(0, 2, (n, groups), generator=gen) * sign_bit
    codes.view(-1)[pos.view(-1)] = (signs + top_code).view(-1)
    codes = codes.to(torch.uint8)
    return codes if s.is_fpx else codes.view(torch.float8_e4m3fn)


def code_values(scheme: str, codes: torch.Tensor) -> torch.Tensor:
    """Float32 value of each code (FPx decode is checked against its formula in
    test_fpx.py; float8 by torch's own cast)."""
    s = get_scheme(scheme)
    if s.is_fpx:
        return fpx_decode(codes, scheme)
    return codes.float()


@pytest.mark.parametrize("scale_dtype", SCALE_DTYPES, ids=str)
@pytest.mark.parametrize("group_size", GROUP_SIZES)
@pytest.mark.parametrize("scheme", SCHEME_NAMES)
@given(
    n=st.integers(1, 4),
    groups=st.integers(1, 3),
    per_channel_k=st.sampled_from([8, 40, 96, 256]),
    float_zeros=st.booleans(),
    weight_in_scale_dtype=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_weights_on_the_grid_roundtrip_exactly(
    scheme, group_size, scale_dtype, n, groups, per_channel_k, float_zeros,
    weight_in_scale_dtype, seed,
):
    s = get_scheme(scheme)
    gen = torch.Generator().manual_seed(seed)
    k = per_channel_k if group_size == -1 else group_size * groups
    g = k if group_size == -1 else group_size
    float_zeros = float_zeros and s.asymmetric

    codes = grid_codes(scheme, n, k, g, gen)
    # Power-of-two scales: every product below is exact in all three float dtypes.
    scales = torch.exp2(torch.randint(-8, 5, (n, k // g), generator=gen).float())
    values = code_values(scheme, codes).view(n, k // g, g)
    zeros = None
    if s.asymmetric:
        if float_zeros:  # quarter steps in [0, 15]: exact in float16 and bfloat16
            zeros = torch.randint(0, 61, (n, k // g), generator=gen).float() / 4
        else:
            zeros = torch.randint(0, 16, (n, k // g), generator=gen).to(torch.uint8)
        values = values - zeros.float().unsqueeze(-1)
    weight = (values * scales.unsqueeze(-1)).view(n, k)
    weight = weight.to(scale_dtype if weight_in_scale_dtype else torch.float32)

    qw = quantize(weight, scheme, group_size, zero_point="float" if float_zeros else "int",
                  scale_dtype=scale_dtype)

    assert qw.group_size == g and qw.shape == (n, k) and qw.perm is None
    assert qw.qdata.dtype == s.qdata_dtype
    assert torch.equal(as_bits(qw.qdata), as_bits(codes))
    assert torch.equal(qw.scales, scales.to(scale_dtype))
    if zeros is None:
        assert qw.zeros is None
    else:
        want_zeros = zeros.to(scale_dtype) if float_zeros else zeros
        assert torch.equal(qw.zeros, want_zeros)
    restored = qw.dequantize()
    assert restored.dtype == torch.float32
    assert torch.equal(restored, weight.float())


def as_bits(t: torch.Tensor) -> torch.Tensor:
    """float8 tensors compared by their bytes; -0 and +0 are different codes."""
    return t.view(torch.uint8) if t.dtype == torch.float8_e4m3fn else t


# --- random weights ----------------------------------------------------------------


def half_step(scheme: str, v: torch.Tensor) -> torch.Tensor:
    """Half the spacing of the scheme's grid around |v|, a grid value (in units of
    the scale): for float grids that of v's binade, which is never below that of the
    value that rounded to v."""
    s = get_scheme(scheme)
    if s.kind == "int":
        return torch.full_like(v, 0.5)
    # Float grids: spacing 2^(e - M) in the binade [2^e, 2^(e+1)), floored at the
    # subnormal spacing 2^(1 - bias - M).
    binade = torch.floor(torch.log2(v.clamp(min=1e-30)))
    return torch.exp2(binade.clamp(min=1 - s.bias) - s.mbits - 1)


@pytest.mark.parametrize("scale_dtype", SCALE_DTYPES, ids=str)
@pytest.mark.parametrize("group_size", GROUP_SIZES)
@pytest.mark.parametrize("scheme", SCHEME_NAMES)
@given(
    n=st.integers(1, 4),
    groups=st.integers(1, 3),
    magnitude=st.integers(-6, 3),
    float_zeros=st.booleans(),
    shift=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
# float16 scales of tiny weights are subnormal and round coarsely (the bound's ds).
@example(n=1, groups=1, magnitude=-5, float_zeros=False, shift=False, seed=1)
def test_random_weights_within_half_a_step(
    scheme, group_size, scale_dtype, n, groups, magnitude, float_zeros, shift, seed,
):
    s = get_scheme(scheme)
    gen = torch.Generator().manual_seed(seed)
    k = 96 if group_size == -1 else group_size * groups
    weight = torch.randn(n, k, generator=gen) * 10.0**magnitude
    if shift:  # one-sided groups: the asymmetric zero point at its ends
        weight = weight.abs()
    float_zeros = float_zeros and s.asymmetric

    qw = quantize(weight, scheme, group_size, zero_point="float" if float_zeros else "int",
                  scale_dtype=scale_dtype)
    g = qw.group_size
    restored = qw.dequantize().double()

    # Codes lie in range.
    if s.kind == "int":
        q = qw.qdata.long()
        assert s.code_min <= int(q.min()) and int(q.max()) <= s.code_max
    elif s.is_fpx:
        assert int(qw.qdata.max()) <= s.code_max
    else:
        assert not torch.isnan(qw.qdata.float()).any()

    # Error per element: half a step of the grid at that magnitude, in units of the
    # float32 scale s the codes were chosen with, plus what storing s (and a float
    # zero) in scale_dtype adds: |(q - z) * s - w| <= s * half_step
    # and |stored - s| <= ds, |stored z - z| <= 15 u.
    u = UNIT_ROUNDOFF[scale_dtype]
    flushed = 2.0**-25 if scale_dtype == torch.float16 else 0.0  # float16 subnormal half-ulp
    stored = qw.scales.double().repeat_interleave(g, dim=1)
    ds = stored * u / (1 - u) + flushed
    s32 = stored + ds  # an upper bound on the float32 scale
    units = code_units(qw).abs()  # |q - z| or |value(q)|, which w / s rounded to
    bound = s32 * (half_step(scheme, units) + (15 * u if float_zeros else 0.0) + 1e-6)
    bound = bound + units * ds
    err = (restored - weight.double()).abs()
    assert bool((err <= bound).all()), float((err - bound).max())


def code_units(qw: QuantizedWeight) -> torch.Tensor:
    """[N, K] float64: q - z for uint4, q for the other integer codes, the value of
    the code for float ones."""
    values = code_values(qw.scheme, qw.qdata).double()
    if qw.zeros is not None:
        values = values - qw.zeros.double().repeat_interleave(qw.group_size, dim=1)
    return values


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
def test_all_zero_groups_give_zero_codes_and_weights(scheme):
    qw = quantize(torch.zeros(2, 64), scheme, 32)
    assert torch.equal(qw.dequantize(), torch.zeros(2, 64))
    assert bool((qw.scales > 0).all())


@pytest.mark.parametrize("weight_dtype", SCALE_DTYPES, ids=str)
def test_scale_dtype_defaults_to_half_weight_dtype_else_float32(weight_dtype):
    qw = quantize(torch.randn(2, 64).to(weight_dtype), "int4", 32)
    assert qw.scales.dtype == weight_dtype
    hqq = quantize(torch.randn(2, 64).to(weight_dtype), "uint4", 32, zero_point="float")
    assert hqq.zeros.dtype == weight_dtype


def test_dequantize_undoes_the_perm_and_casts():
    # Column j of qdata holds input channel perm[j]; groups are runs of qdata columns.
    gen = torch.Generator().manual_seed(0)
    n, k, g = 3, 64, 32
    first_group = torch.randperm(k, generator=gen)[:g].sort().values
    rest = torch.ones(k, dtype=torch.bool)
    rest[first_group] = False
    perm = torch.cat([first_group, torch.arange(k)[rest]])  # ascending within each group
    qdata = torch.randint(-8, 8, (n, k), generator=gen, dtype=torch.int8)
    scales = torch.rand(n, k // g, generator=gen) + 0.5
    qw = QuantizedWeight("int4", g, qdata, scales, perm=perm)
    want = torch.empty(n, k)
    for row in range(n):
        for j in range(k):
            want[row, perm[j]] = float(qdata[row, j]) * float(scales[row, j // g])
    assert torch.equal(qw.dequantize(), want)
    assert torch.equal(dequantize(qw, torch.bfloat16), want.to(torch.bfloat16))


def test_properties_and_to():
    qw = quantize(torch.randn(4, 256), "uint4", 64)
    assert qw.shape == (4, 256) and qw.num_groups == 4 and not qw.per_channel
    assert quantize(torch.randn(4, 256), "int8", -1).per_channel
    moved = qw.to("cpu")
    assert moved is not qw and torch.equal(moved.qdata, qw.qdata)
    assert torch.equal(moved.zeros, qw.zeros) and moved.scheme == qw.scheme


# --- bad inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weight=torch.ones(4, 64, dtype=torch.int32)), "weight.*dtype"),
        (dict(weight=torch.ones(4, 64, dtype=torch.float64)), "weight.*dtype"),
        (dict(weight=torch.ones(256)), "weight.*2-D"),
        (dict(weight=torch.ones(64, 4).t()), "weight.*contiguous"),
        (dict(weight=torch.ones(0, 64)), "weight.*non-empty"),
        (dict(weight=torch.tensor([[1.0, math.inf] * 16])), "weight.*finite"),
        (dict(weight=torch.ones(4, 96), group_size=64), "group_size.*divide"),
        (dict(group_size=16), "group_size.*16"),
        (dict(group_size=0), "group_size"),
        (dict(group_size=64.0), "group_size.*int"),
        (dict(scheme="int3"), "scheme.*'int3'"),
        (dict(scheme="int4", zero_point="float"), "zero_point"),
        (dict(scheme="uint4", zero_point="half"), "zero_point.*'half'"),
        (dict(scale_dtype=torch.float64), "scale_dtype"),
        (dict(weight=torch.full((4, 64), 1e30), scale_dtype=torch.float16), "scale_dtype"),
    ],
)
def test_quantize_refuses_bad_inputs(kwargs, match):
    args = dict(weight=torch.ones(4, 64), scheme="uint4", group_size=32)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        quantize(args.pop("weight"), args.pop("scheme"), args.pop("group_size"), **args)


def valid_parts():
    return dict(
        scheme="uint4",
        group_size=32,
        qdata=torch.zeros(4, 64, dtype=torch.uint8),
        scales=torch.ones(4, 2, dtype=torch.float16),
        zeros=torch.zeros(4, 2, dtype=torch.uint8),
    )


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(scheme="uint3"), "scheme"),
        (dict(qdata=torch.zeros(4, 64, dtype=torch.int8)), "qdata.*dtype"),
        (dict(qdata=torch.zeros(64, 4, dtype=torch.uint8).t()), "qdata.*contiguous"),
        (dict(group_size=48), "group_size"),
        (dict(scales=torch.ones(4, 3, dtype=torch.float16)), "scales.*shape"),
        (dict(scales=torch.ones(4, 2, dtype=torch.float64)), "scales.*dtype"),
        (dict(scales=torch.ones(2, 4, dtype=torch.float16).t()), "scales.*contiguous"),
        (dict(zeros=None), "zeros"),
        (dict(zeros=torch.zeros(4, 2, dtype=torch.float32)), "zeros.*dtype"),
        (dict(zeros=torch.zeros(4, 2, dtype=torch.uint8)[:, :1]), "zeros.*shape"),
        (dict(perm=torch.arange(64, dtype=torch.int32)), "perm.*dtype"),
        (dict(perm=torch.zeros(64, dtype=torch.long)), "perm.*permutation"),
        (dict(perm=torch.arange(64).flip(0)), "perm.*ascending"),
    ],
)
def test_quantized_weight_refuses_bad_parts(change, match):
    parts = valid_parts()
    parts.update(change)
    with pytest.raises(ValueError, match=match):
        QuantizedWeight(**parts)


def test_symmetric_scheme_refuses_zeros():
    parts = valid_parts()
    parts.update(scheme="int4", qdata=torch.zeros(4, 64, dtype=torch.int8))
    with pytest.raises(ValueError, match="zeros.*None"):
        QuantizedWeight(**parts)


def test_dequantize_refuses_bad_dtype():
    qw = QuantizedWeight(**valid_parts())
    with pytest.raises(ValueError, match="dtype"):
        qw.dequantize(torch.int32)
