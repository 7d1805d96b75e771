"""FPx codecs (qgemm.reference.fpx) against the format definition.

The expected values are written out here from the definition (sign, biased exponent,
mantissa, subnormals), independently of the code under test, and rounding is checked
against a brute-force nearest-value search in exact rational arithmetic.
"""
import math
from fractions import Fraction

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm.reference import fpx_decode, fpx_encode
from qgemm.schemes import FPX_NAMES, get_scheme

# name: (exponent bits, mantissa bits, max_normal as DESIGN.md lists it)
FORMATS = {
    "fp6_e3m2": (3, 2, 28.0),
    "fp6_e2m3": (2, 3, 7.5),
    "fp5_e3m1": (3, 1, 24.0),
    "fp5_e2m2": (2, 2, 7.0),
    "fp4_e2m1": (2, 1, 6.0),
}
NAMES = sorted(FORMATS)


def formula_value(code: int, ebits: int, mbits: int) -> float:
    """The value of a code by definition: 1 sign, E exponent, M mantissa bits,
    bias 2^(E-1) - 1, subnormals at exponent field 0, no inf/nan."""
    bias = 2 ** (ebits - 1) - 1
    negative = (code >> (ebits + mbits)) & 1
    e = (code >> mbits) & (2**ebits - 1)
    m = code & (2**mbits - 1)
    if e == 0:
        magnitude = (m / 2**mbits) * 2.0 ** (1 - bias)
    else:
        magnitude = (1 + m / 2**mbits) * 2.0 ** (e - bias)
    return -magnitude if negative else magnitude  # -0.0 for the negative-zero code


def all_codes(name: str) -> torch.Tensor:
    ebits, mbits, _ = FORMATS[name]
    return torch.arange(2 ** (1 + ebits + mbits), dtype=torch.uint8)


def sign_bit(name: str) -> int:
    ebits, mbits, _ = FORMATS[name]
    return 1 << (ebits + mbits)


def magnitudes(name: str) -> list[float]:
    """Non-negative values, indexed by code (they increase with the code)."""
    ebits, mbits, _ = FORMATS[name]
    return [formula_value(c, ebits, mbits) for c in range(sign_bit(name))]


def nearest_code(x: float, name: str) -> int:
    """Brute force: the code nearest to x, ties to the even code, saturating, with
    x's sign bit. Distances are exact rationals."""
    values = magnitudes(name)
    a = Fraction(min(abs(x), values[-1]))
    best = min(range(len(values)), key=lambda c: (abs(Fraction(values[c]) - a), c % 2))
    return best | (sign_bit(name) if math.copysign(1.0, x) < 0 else 0)


def next_f32(x: float, toward: float) -> float:
    """The float32 neighbour of the float32 x in the direction of toward."""
    x32, toward32 = torch.tensor([x, toward], dtype=torch.float32)
    return torch.nextafter(x32, toward32).item()


def encode_floats(xs, name):
    return fpx_encode(torch.tensor(xs, dtype=torch.float32), name).tolist()


@pytest.mark.parametrize("name", NAMES)
def test_scheme_constants_match_the_definition(name):
    ebits, mbits, max_normal = FORMATS[name]
    s = get_scheme(name)
    assert (s.ebits, s.mbits, s.bits) == (ebits, mbits, 1 + ebits + mbits)
    assert s.bias == 2 ** (ebits - 1) - 1
    assert s.max_normal == max_normal == max(magnitudes(name))
    assert set(FPX_NAMES) == set(FORMATS)


@pytest.mark.parametrize("name", NAMES)
def test_decode_every_code_matches_the_formula(name):
    ebits, mbits, _ = FORMATS[name]
    codes = all_codes(name)
    got = fpx_decode(codes, name)
    assert got.dtype == torch.float32
    for code, value in zip(codes.tolist(), got.tolist()):
        want = formula_value(code, ebits, mbits)
        assert value == want, (name, code)
        assert math.copysign(1.0, value) == math.copysign(1.0, want), (name, code)


@pytest.mark.parametrize("name", NAMES)
def test_encode_inverts_decode_for_every_code(name):
    # Negative zero included: the sign bit is kept (see fpx.py), so -0.0 -> its code.
    codes = all_codes(name)
    assert torch.equal(fpx_encode(fpx_decode(codes, name), name), codes)


@pytest.mark.parametrize("name", NAMES)
def test_midpoints_round_to_even_and_neighbours_to_nearest(name):
    values = magnitudes(name)
    neg = sign_bit(name)
    for lo in range(len(values) - 1):
        hi = lo + 1
        mid = (values[lo] + values[hi]) / 2  # exact: both have few bits
        below = next_f32(mid, 0.0)
        above = next_f32(mid, math.inf)
        even = lo if lo % 2 == 0 else hi
        got = encode_floats([mid, below, above, -mid, -below, -above], name)
        assert got == [even, lo, hi, even | neg, lo | neg, hi | neg], (name, lo)


@pytest.mark.parametrize("name", NAMES)
def test_values_beyond_max_normal_saturate(name):
    _, _, max_normal = FORMATS[name]
    top = sign_bit(name) - 1
    values = magnitudes(name)
    half_step = (values[-1] - values[-2]) / 2
    big = [max_normal + half_step, max_normal + 2 * half_step, 1e30, 3.0e38, math.inf]
    got = encode_floats(big + [-b for b in big], name)
    assert got == [top] * len(big) + [top | sign_bit(name)] * len(big)


@pytest.mark.parametrize("name", NAMES)
def test_tiny_values_round_to_zero_or_the_smallest_subnormal(name):
    smallest = magnitudes(name)[1]  # code 1: the smallest subnormal
    half = smallest / 2
    xs = [0.0, 1e-45, 1e-30, next_f32(half, 0.0), half,
          next_f32(half, 1.0), 0.75 * smallest, smallest]
    want = [0, 0, 0, 0, 0, 1, 1, 1]  # the tie at smallest/2 goes to the even code 0
    neg = sign_bit(name)
    assert encode_floats(xs, name) == want
    assert encode_floats([-x for x in xs], name) == [c | neg for c in want]


finite_or_inf = st.floats(width=32, allow_nan=False)
in_range = st.floats(min_value=-32.0, max_value=32.0, width=32)
tiny = st.floats(min_value=-0.25, max_value=0.25, width=32)


@pytest.mark.parametrize("name", NAMES)
@given(xs=st.lists(st.one_of(in_range, tiny, finite_or_inf), min_size=1, max_size=64))
@example(xs=[2.5, 3.5, 0.25, -0.75, 6.5, 7.75, 26.0, 30.0, 0.046875, -0.0])
def test_encode_matches_brute_force_nearest(name, xs):
    assert encode_floats(xs, name) == [nearest_code(x, name) for x in xs]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_encode_like_their_float32_values(name, dtype):
    x = (torch.linspace(-40, 40, 801) / 7).to(dtype).view(3, 267)
    assert torch.equal(fpx_encode(x, name), fpx_encode(x.float(), name))


def test_bad_inputs_are_refused():
    x = torch.ones(4)
    with pytest.raises(ValueError, match="scheme"):
        fpx_encode(x, "fp6")
    with pytest.raises(ValueError, match="scheme"):
        fpx_encode(x, "int4")
    with pytest.raises(ValueError, match="scheme"):
        fpx_decode(torch.zeros(4, dtype=torch.uint8), "fp8_e4m3")
    with pytest.raises(ValueError, match="x"):
        fpx_encode(x.double(), "fp4_e2m1")
    with pytest.raises(ValueError, match="x.*NaN"):
        fpx_encode(torch.tensor([1.0, math.nan]), "fp4_e2m1")
    with pytest.raises(ValueError, match="codes"):
        fpx_decode(torch.zeros(4, dtype=torch.int32), "fp4_e2m1")
    with pytest.raises(ValueError, match="codes"):
        fpx_decode(torch.tensor([16], dtype=torch.uint8), "fp4_e2m1")
