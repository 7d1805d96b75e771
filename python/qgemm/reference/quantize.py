"""Reference min-max quantizers and the reference dequantization, for every scheme.

Plain torch, float32 math, any device. Per group of `group_size` input channels
(along K) of each output row:

    int4     s = amax / 7,    q = clamp(round(w / s), -8, 7)
    int8     s = amax / 127,  q = clamp(round(w / s), -127, 127)
    uint4    lo = min(min w, 0), hi = max(max w, 0) (so that 0 is representable),
             s = (hi - lo) / 15, then
               zero_point="int"   (AWQ/GPTQ): z = clamp(round(-lo / s), 0, 15) as uint8,
                                              q = clamp(round(w / s) + z, 0, 15)
               zero_point="float" (HQQ):      z = -lo / s kept as a float,
                                              q = clamp(round(w / s + z), 0, 15)
    fpx      s = amax / max_normal, q = fpx_encode(w / s) (nearest-even, saturating)
    fp8_e4m3 s = amax / 448, q = clamp(w / s, -448, 448) cast to float8_e4m3fn (nearest-even)

amax = max |w| is clamped to at least 1e-12 (hi - lo likewise), so an all-zero group
gets a tiny positive scale and zero codes. round is round-half-to-even.

Codes are computed with the float32 scale (and float32 zero); what is stored is
s.to(scale_dtype) (and, for float zeros, z.to(scale_dtype)). With a float16 or
bfloat16 scale_dtype the dequantized weight therefore carries that scale's rounding
on top of the code's: |error| <= s/2 + |q| * |s - stored s| for integer codes.
A scale past scale_dtype's range is refused (ValueError); one below its normal range
(float16: 6.1e-5) becomes subnormal or zero, as the cast does.
"""
from __future__ import annotations

import torch

from .._validate import check_choice, check_tensor, fail
from ..quantized import SCALE_DTYPES, QuantizedWeight
from ..schemes import Scheme, get_scheme, resolve_group_size
from .fpx import fpx_decode, fpx_encode

FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
_TINY = 1e-12  # floor of amax (or of max - min) so that scales are never zero


def quantize(
    weight: torch.Tensor,
    scheme: str,
    group_size: int = 128,
    *,
    zero_point: str = "int",
    scale_dtype: torch.dtype | None = None,
) -> QuantizedWeight:
    """Min-max quantize weight [N, K] (out x in) with groups of group_size along K.

    weight: float32, float16 or bfloat16, contiguous, finite, any device.
    group_size: 32, 64 or 128, or -1 (or K) for per-channel; must divide K.
    zero_point: "int" or "float"; only uint4 has zero points, so other schemes
        accept only the default.
    scale_dtype: float16, bfloat16 or float32; by default weight.dtype when that is
        float16 or bfloat16, else float32.
    The formulas are in this module's docstring.
    """
    fn = "quantize"
    check_tensor(fn, "weight", weight, dtypes=FLOAT_DTYPES, ndim=2)
    n, k = weight.shape
    if n == 0 or k == 0:
        fail(fn, "weight", f"shape {(n, k)}", "must be non-empty")
    s = get_scheme(scheme, fn=fn, arg="scheme")
    g = resolve_group_size(fn, "group_size", group_size, k)
    check_choice(fn, "zero_point", zero_point, ("int", "float"))
    if zero_point != "int" and not s.asymmetric:
        fail(fn, "zero_point", repr(zero_point),
             f"must be 'int' (the default) for {scheme}, which has no zero point")
    if scale_dtype is None:
        scale_dtype = weight.dtype  # float16 / bfloat16 as given, float32 otherwise
    check_choice(fn, "scale_dtype", scale_dtype, SCALE_DTYPES)
    if not bool(torch.isfinite(weight).all()):
        fail(fn, "weight", "inf or NaN entries", "must be finite")

    w = weight.float().view(n, k // g, g)
    zeros = None
    if s.asymmetric:
        codes, scale, zeros = _asymmetric(w, s, zero_point == "float")
    elif s.kind == "int":
        codes, scale = _symmetric_int(w, s)
    elif s.is_fpx:
        codes, scale = _fpx(w, s)
    else:
        codes, scale = _fp8(w, s)

    stored_scale = scale.to(scale_dtype)
    if not bool(torch.isfinite(stored_scale).all()):
        fail(fn, "scale_dtype", scale_dtype, "must hold every scale without overflow")
    if zeros is not None and zeros.dtype == torch.float32:
        zeros = zeros.to(scale_dtype)
    return QuantizedWeight(
        scheme=scheme,
        group_size=g,
        qdata=codes.reshape(n, k).to(s.qdata_dtype),
        scales=stored_scale.reshape(n, k // g),
        zeros=None if zeros is None else zeros.reshape(n, k // g),
    )


def _amax(w: torch.Tensor) -> torch.Tensor:
    """max |w| per group, [N, G, 1], floored at _TINY."""
    return w.abs().amax(dim=-1, keepdim=True).clamp(min=_TINY)


def _symmetric_int(w: torch.Tensor, s: Scheme):
    scale = _amax(w) / s.code_max
    codes = torch.round(w / scale).clamp(s.code_min, s.code_max)
    return codes, scale


def _asymmetric(w: torch.Tensor, s: Scheme, float_zero: bool):
    lo = w.amin(dim=-1, keepdim=True).clamp(max=0.0)
    hi = w.amax(dim=-1, keepdim=True).clamp(min=0.0)
    scale = (hi - lo).clamp(min=_TINY) / s.code_max
    if float_zero:
        zero = -lo / scale
        codes = torch.round(w / scale + zero)
    else:
        zero = torch.round(-lo / scale).clamp(s.code_min, s.code_max)
        codes = torch.round(w / scale) + zero
        zero = zero.to(torch.uint8)
    return codes.clamp(s.code_min, s.code_max), scale, zero


def _fpx(w: torch.Tensor, s: Scheme):
    scale = _amax(w) / s.max_normal
    return fpx_encode(w / scale, s.name), scale


def _fp8(w: torch.Tensor, s: Scheme):
    # The clamp matters: float8_e4m3fn has no inf, and the cast turns anything past
    # its range into NaN rather than saturating.
    scale = _amax(w) / s.max_normal
    codes = (w / scale).clamp(-s.max_normal, s.max_normal).to(torch.float8_e4m3fn)
    return codes, scale


def dequantize(qw: QuantizedWeight, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """W [N, K] from its codes, in float32, then cast to dtype:

        int4, int8      w = q * s
        uint4           w = (q - z) * s      (z integer or float)
        fpx, fp8_e4m3   w = value(q) * s

    with s and z those of q's group. Columns come back in the original input-channel
    order: column j of the codes is written to channel qw.perm[j].
    """
    fn = "dequantize"
    if not isinstance(qw, QuantizedWeight):
        fail(fn, "qw", type(qw).__name__, "must be a QuantizedWeight")
    check_choice(fn, "dtype", dtype, FLOAT_DTYPES)
    s = get_scheme(qw.scheme)
    n, k = qw.shape
    groups, g = qw.num_groups, qw.group_size

    values = fpx_decode(qw.qdata, qw.scheme) if s.is_fpx else qw.qdata.float()
    values = values.view(n, groups, g)
    if s.asymmetric:
        values = values - qw.zeros.float().unsqueeze(-1)
    w = (values * qw.scales.float().unsqueeze(-1)).view(n, k)

    if qw.perm is not None:
        unpermuted = torch.empty_like(w)
        unpermuted[:, qw.perm] = w
        w = unpermuted
    return w.to(dtype)
