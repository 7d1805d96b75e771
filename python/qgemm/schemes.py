"""The weight schemes: what a code is and which values it stands for.

A scheme fixes the code width, whether codes are signed or carry a zero point, and
for the floating-point codes the exponent/mantissa split. The formulas that turn
codes back into weights are in DESIGN.md ("Weight schemes") and in
qgemm.reference.quantize.dequantize; this file only holds the constants.

Group sizes are part of the scheme math too: groups run along K and hold 32, 64 or
128 input channels, or all K of them (per-channel).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ._validate import check_choice, fail


@dataclass(frozen=True)
class Scheme:
    """Constants of one weight scheme.

    kind is "int" for integer codes (int4, uint4, int8) and "float" for the
    floating-point ones (fpx, fp8_e4m3).

    code_min and code_max bound the integers stored in QuantizedWeight.qdata: for
    integer schemes the code values themselves (int4 [-8, 7], uint4 [0, 15],
    int8 [-127, 127]); for float schemes the raw bit patterns s|e|m, right-aligned
    ([0, 2^bits - 1]; fp8_e4m3's NaN patterns 0x7f and 0xff are never produced).

    ebits, mbits, bias and max_normal are set for float schemes only.
    """

    name: str
    bits: int
    kind: str
    signed: bool
    asymmetric: bool
    code_min: int
    code_max: int
    qdata_dtype: torch.dtype
    ebits: Optional[int] = None
    mbits: Optional[int] = None
    bias: Optional[int] = None
    max_normal: Optional[float] = None

    @property
    def is_fpx(self) -> bool:
        """True for the 4- to 6-bit float codes stored as raw bits in uint8."""
        return self.kind == "float" and self.qdata_dtype == torch.uint8


def _integer(name: str, bits: int, code_min: int, code_max: int, dtype: torch.dtype) -> Scheme:
    asymmetric = code_min == 0
    return Scheme(name, bits, "int", signed=not asymmetric, asymmetric=asymmetric,
                  code_min=code_min, code_max=code_max, qdata_dtype=dtype)


def _fpx(ebits: int, mbits: int) -> Scheme:
    """An IEEE-like float with 1 sign bit, no inf and no nan: every exponent field
    value, the all-ones one included, encodes finite numbers."""
    bits = 1 + ebits + mbits
    bias = 2 ** (ebits - 1) - 1
    top_exponent = (2**ebits - 1) - bias
    max_normal = (2.0 - 2.0**-mbits) * 2.0**top_exponent
    return Scheme(f"fp{bits}_e{ebits}m{mbits}", bits, "float", signed=True, asymmetric=False,
                  code_min=0, code_max=2**bits - 1, qdata_dtype=torch.uint8,
                  ebits=ebits, mbits=mbits, bias=bias, max_normal=max_normal)


# float8_e4m3fn gives up the top mantissa pattern of the top exponent to NaN, so its
# largest value is 1.75 * 2^8 = 448, not the 480 that _fpx's formula would give.
_FP8_E4M3 = Scheme("fp8_e4m3", 8, "float", signed=True, asymmetric=False,
                   code_min=0, code_max=255, qdata_dtype=torch.float8_e4m3fn,
                   ebits=4, mbits=3, bias=7, max_normal=448.0)

SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        _integer("int4", 4, -8, 7, torch.int8),
        _integer("uint4", 4, 0, 15, torch.uint8),
        _integer("int8", 8, -127, 127, torch.int8),
        _fpx(3, 2),
        _fpx(2, 3),
        _fpx(3, 1),
        _fpx(2, 2),
        _fpx(2, 1),
        _FP8_E4M3,
    )
}
SCHEME_NAMES = tuple(SCHEMES)
FPX_NAMES = tuple(name for name, s in SCHEMES.items() if s.is_fpx)

# Group sizes below K that kernels support; K itself (per-channel) is always allowed.
GROUP_SIZES = (32, 64, 128)


def get_scheme(name: str, *, fn: str = "get_scheme", arg: str = "name") -> Scheme:
    """The Scheme called `name`; ValueError for any other value.

    fn and arg name the caller's function and argument in the error message.
    """
    check_choice(fn, arg, name, SCHEME_NAMES)
    return SCHEMES[name]


def resolve_group_size(fn: str, arg: str, group_size, k: int) -> int:
    """The effective group size along K: group_size itself, or K for per-channel.

    Accepts 32, 64, 128, and -1 or K for per-channel; K must be a multiple of it.
    """
    if isinstance(group_size, bool) or not isinstance(group_size, int):
        fail(fn, arg, repr(group_size), "must be an int")
    if group_size == -1 or group_size == k:
        return k
    if group_size not in GROUP_SIZES:
        fail(fn, arg, group_size, f"must be one of {GROUP_SIZES}, or -1 or K={k} for per-channel")
    if k % group_size != 0:
        fail(fn, arg, group_size, f"must divide K={k}")
    return group_size
