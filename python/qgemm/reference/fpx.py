"""Reference FPx codecs: float32 <-> the raw bits of the 4- to 6-bit float formats.

A code is 1 sign bit, E exponent bits and M mantissa bits, right-aligned in a uint8
(s|e|m). With bias = 2^(E-1) - 1:

    exponent field e > 0:  value = (-1)^s * (1 + m / 2^M) * 2^(e - bias)     (normal)
    exponent field e = 0:  value = (-1)^s * (m / 2^M) * 2^(1 - bias)         (subnormal)

There is no inf and no nan: the all-ones exponent holds ordinary numbers, so the
largest magnitude is max_normal = (2 - 2^-M) * 2^(2^E - 1 - bias).

Encoding rounds to nearest, ties to even, and saturates at +-max_normal (+-inf
included). It is exact, computed with exponent arithmetic rather than a table: every
value of the formats is a float32, and so is every quotient below (they divide by
powers of two).

Negative zero: the sign bit is copied from the input's sign bit, as IEEE casts and
torch's float8 casts do. So -0.0, and negative numbers that round to zero, encode as
the negative-zero code (sign bit set, all else 0), which decodes to -0.0. With this
choice encode(decode(code)) == code for every code of every format.
"""
from __future__ import annotations

import torch

from .._validate import check_tensor, fail
from ..schemes import FPX_NAMES, Scheme, get_scheme


def _fpx_scheme(fn: str, scheme: str) -> Scheme:
    s = get_scheme(scheme, fn=fn, arg="scheme")
    if not s.is_fpx:
        fail(fn, "scheme", repr(scheme), f"must be an FPx scheme, one of {FPX_NAMES}")
    return s


def fpx_encode(x: torch.Tensor, scheme: str) -> torch.Tensor:
    """Round float values to the nearest code of an FPx format; returns uint8 codes.

    x: float32, float16 or bfloat16 (the latter two widen exactly to float32), any
    shape, strides and device, no NaN. Ties go to the even code; magnitudes above max_normal,
    infinities included, become +-max_normal; the sign of zero is kept (module doc).
    """
    fn = "fpx_encode"
    fmt = _fpx_scheme(fn, scheme)
    check_tensor(fn, "x", x, dtypes=(torch.float32, torch.float16, torch.bfloat16),
                 contiguous=False)
    if torch.isnan(x).any():
        fail(fn, "x", "a tensor holding NaN", "must not hold NaN (FPx formats have none)")

    m_bits, bias = fmt.mbits, fmt.bias
    x = x.float()
    negative = torch.signbit(x)
    a = x.abs().clamp(max=fmt.max_normal)

    # Binade of a: a = f * 2^exp with f in [0.5, 1), so floor(log2 a) = exp - 1. Below
    # the smallest normal 2^(1-bias) (zero included) the subnormals share the spacing
    # of the lowest normal binade, so the exponent is held at 1 - bias.
    _, exp = torch.frexp(a)
    e = torch.where(a < 2.0 ** (1 - bias), 1 - bias, exp - 1)

    # a in units of the spacing 2^(e - M) of its binade: exact (a power-of-two
    # scaling), then rounded half-to-even by torch.round. r lies in [2^M, 2^(M+1)]
    # for normals and [0, 2^M] for subnormals.
    r = torch.round(torch.ldexp(a, (m_bits - e).to(torch.int32)))

    # Code of the magnitude: exponent field (e + bias) over mantissa r - 2^M, i.e.
    # ((e + bias - 1) << M) + r. Rounding up to r = 2^(M+1) carries into the next
    # exponent field by itself, and for subnormals (e + bias - 1 = 0) this is just r,
    # with r = 2^M landing on the smallest normal. Saturation above keeps r within
    # the top binade.
    magnitude = ((e + bias - 1).to(torch.int32) << m_bits) + r.to(torch.int32)
    code = magnitude | (negative.to(torch.int32) << (fmt.bits - 1))
    return code.to(torch.uint8)


def fpx_decode(codes: torch.Tensor, scheme: str) -> torch.Tensor:
    """The float32 values of uint8 FPx codes (any shape, strides and device).

    Codes must fit in the format's width (2^bits - 1 at most). The negative-zero code
    decodes to -0.0.
    """
    fn = "fpx_decode"
    fmt = _fpx_scheme(fn, scheme)
    check_tensor(fn, "codes", codes, dtypes=(torch.uint8,), contiguous=False)
    if (codes > fmt.code_max).any():
        fail(fn, "codes", f"max {int(codes.max())}",
             f"must be at most {fmt.code_max} for {scheme} ({fmt.bits} bits)")

    m_bits, bias = fmt.mbits, fmt.bias
    c = codes.to(torch.int32)
    sign = (c >> (fmt.bits - 1)) & 1
    e = (c >> m_bits) & ((1 << fmt.ebits) - 1)
    m = c & ((1 << m_bits) - 1)

    # Significand in units of 2^-M: with the implicit leading 1 for normals, without
    # it for subnormals, whose exponent is that of the lowest normal binade.
    significand = torch.where(e > 0, m + (1 << m_bits), m).float()
    exponent = torch.where(e > 0, e, 1) - bias - m_bits
    value = torch.ldexp(significand, exponent)
    return torch.where(sign.bool(), -value, value)
