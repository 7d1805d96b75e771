"""Reference activation quantization for W8A8: per token (dynamic), per tensor (static),
and the fused residual-add + RMSNorm + per-token quantization.

Plain torch, float32 math, any device. These are what the CUDA kernels in
include/qgemm/quant/ are checked against; nothing here is fast.

Per token means per row of x [..., K]: one scale (and for asymmetric int8 one zero
point) per index of the leading dimensions, computed over the last dimension K.

    int8, symmetric    amax = max |x|                     (floored at 1e-12)
                       s = amax / 127
                       q = clamp(round(x / s), -127, 127)
                       x ~ q * s
    int8, asymmetric   lo = min(min x, 0), hi = max(max x, 0)   (0 is representable)
                       s = (hi - lo) / 255                (hi - lo floored at 1e-12)
                       zp = clamp(round(-128 - lo / s), -128, 127)
                       q = clamp(round(x / s) + zp, -128, 127)
                       x ~ (q - zp) * s
    fp8_e4m3           amax = min(max |x|, scale_ub)      (scale_ub only if given;
                                                           amax floored at 1e-12)
                       s = amax / 448
                       q = clamp(x / s, -448, 448) cast to float8_e4m3fn (nearest-even)
                       x ~ float(q) * s

round is round-half-to-even (torch.round). The floor of 1e-12 on amax is the one the
weight quantizer uses (reference/quantize.py): an all-zero row gets a tiny positive
scale and zero codes instead of 0/0. vLLM's fp8 kernels floor s itself at
1 / (448 * 512) instead; the two differ only for rows with amax < 1/512.

Codes are computed as x / s with s in float32. A kernel that multiplies by a
precomputed 1/s can land on the other side of a rounding tie; kernel tests should
allow one code (int8) or one fp8 step of difference there, and no more.

Inputs are float32, float16 or bfloat16, contiguous and finite; x is converted to
float32 exactly before any arithmetic. Scales come back as float32 [..., 1], zero
points as int32 [..., 1].
"""
from __future__ import annotations

import math

import torch

from .._validate import check_choice, check_tensor, fail

FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
INT8_MAX = 127      # symmetric int8 codes are in [-127, 127] (DESIGN.md, scheme int8)
FP8_MAX = 448.0     # largest finite float8_e4m3fn
_TINY = 1e-12       # floor of amax (or of hi - lo) so that scales are never zero


# --------------------------------------------------------------------------- checks

def _check_activation(fn: str, arg: str, x) -> torch.Tensor:
    """x [..., K]: float, contiguous, at least 1-D with K >= 1, finite.

    Leading dimensions may be empty (zero tokens): the result is then empty too.
    """
    check_tensor(fn, arg, x, dtypes=FLOAT_DTYPES)
    if x.dim() < 1 or x.shape[-1] == 0:
        fail(fn, arg, f"shape {tuple(x.shape)}", "must be [..., K] with K >= 1")
    if not bool(torch.isfinite(x).all()):
        fail(fn, arg, "inf or NaN entries", "must be finite")
    return x


def _check_scale_ub(fn: str, scale_ub, device: torch.device) -> float | None:
    """scale_ub: None, a positive finite number, or a float32 tensor of one element
    (on x's device) holding one. Returns it as a Python float (or None)."""
    if scale_ub is None:
        return None
    if isinstance(scale_ub, torch.Tensor):
        check_tensor(fn, "scale_ub", scale_ub, dtypes=(torch.float32,), device=device)
        if scale_ub.numel() != 1:
            fail(fn, "scale_ub", f"shape {tuple(scale_ub.shape)}", "must have one element")
        value = float(scale_ub.item())
    elif isinstance(scale_ub, (int, float)) and not isinstance(scale_ub, bool):
        value = float(scale_ub)
    else:
        fail(fn, "scale_ub", type(scale_ub).__name__, "must be None, a number or a tensor")
    if not (math.isfinite(value) and value > 0):
        fail(fn, "scale_ub", value, "must be positive and finite")
    return value


def _check_static_scale(fn: str, scale, device: torch.device) -> torch.Tensor:
    """A per-tensor scale: float32 tensor of shape [], [1] or [1, 1] on x's device,
    positive and finite."""
    check_tensor(fn, "scale", scale, dtypes=(torch.float32,), device=device)
    if tuple(scale.shape) not in ((), (1,), (1, 1)):
        fail(fn, "scale", f"shape {tuple(scale.shape)}", "must have shape [], [1] or [1, 1]")
    value = float(scale.item())
    if not (math.isfinite(value) and value > 0):
        fail(fn, "scale", value, "must be positive and finite")
    return scale


# --------------------------------------------------------------- the quantizers

def _div(t: torch.Tensor, divisor: float) -> torch.Tensor:
    """t / divisor correctly rounded in float32 on every device. (torch on CUDA turns a
    division by a Python number into a multiplication by its rounded reciprocal, which
    differs in the last bit for some t; a tensor divisor keeps true division.)"""
    return t / torch.full_like(t, divisor)


def _int8_symmetric(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """q = clamp(round(x / s), -127, 127) as int8; x float32, s broadcastable."""
    return torch.round(x / scale).clamp(-INT8_MAX, INT8_MAX).to(torch.int8)


def _fp8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    # The clamp matters: float8_e4m3fn has no inf, and a cast of a value past its
    # range is not guaranteed to saturate (it may give NaN).
    return (x / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)


def quantize_per_token_int8(x: torch.Tensor, symmetric: bool = True):
    """Dynamic per-token int8 quantization of x [..., K].

    Returns (q int8 [..., K], scale float32 [..., 1], zero_point int32 [..., 1] or None);
    zero_point is None when symmetric. Formulas in the module docstring.
    """
    fn = "quantize_per_token_int8"
    _check_activation(fn, "x", x)
    check_choice(fn, "symmetric", symmetric, (True, False))

    xf = x.float()
    if symmetric:
        amax = xf.abs().amax(dim=-1, keepdim=True).clamp(min=_TINY)
        scale = _div(amax, INT8_MAX)
        return _int8_symmetric(xf, scale), scale, None

    lo = xf.amin(dim=-1, keepdim=True).clamp(max=0.0)
    hi = xf.amax(dim=-1, keepdim=True).clamp(min=0.0)
    scale = _div((hi - lo).clamp(min=_TINY), 255)
    # zp maps lo to code -128 (and so hi to about 127); the clamp only guards against
    # float rounding, since -lo / s lies in [0, 255].
    zero_point = torch.round(-128 - lo / scale).clamp(-128, 127)
    q = (torch.round(xf / scale) + zero_point).clamp(-128, 127)
    return q.to(torch.int8), scale, zero_point.to(torch.int32)


def quantize_per_token_fp8(x: torch.Tensor, scale_ub=None):
    """Dynamic per-token float8_e4m3fn quantization of x [..., K].

    scale_ub: optional upper bound on each row's amax (a positive number or a
    float32 tensor of one element, as vLLM passes it). Entries past scale_ub
    saturate to +-448.
    Returns (q float8_e4m3fn [..., K], scale float32 [..., 1]).
    """
    fn = "quantize_per_token_fp8"
    _check_activation(fn, "x", x)
    ub = _check_scale_ub(fn, scale_ub, x.device)

    xf = x.float()
    amax = xf.abs().amax(dim=-1, keepdim=True)
    if ub is not None:
        amax = amax.clamp(max=ub)
    scale = _div(amax.clamp(min=_TINY), FP8_MAX)
    return _fp8(xf, scale), scale


def quantize_per_tensor_int8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Static symmetric int8 quantization of x [..., K] with a given per-tensor scale
    (float32, shape [], [1] or [1, 1], positive): q = clamp(round(x / s), -127, 127).

    The range is [-127, 127], as for dynamic symmetric int8 (vLLM's static kernel
    clamps to [-128, 127]; only values below -127.5 s tell the two apart).
    Returns q int8 [..., K].
    """
    fn = "quantize_per_tensor_int8"
    _check_activation(fn, "x", x)
    _check_static_scale(fn, scale, x.device)
    return _int8_symmetric(x.float(), scale.reshape(()))


def quantize_per_tensor_fp8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Static float8_e4m3fn quantization of x [..., K] with a given per-tensor scale
    (float32, shape [], [1] or [1, 1], positive): q = clamp(x / s, -448, 448) cast to
    float8_e4m3fn. Returns q [..., K]."""
    fn = "quantize_per_tensor_fp8"
    _check_activation(fn, "x", x)
    _check_static_scale(fn, scale, x.device)
    return _fp8(x.float(), scale.reshape(()))


# ------------------------------------------------- fused add + RMSNorm + quantization

def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """float32 RMSNorm over the last dimension, no validation (callers validate):

        y = x * rsqrt(mean(x^2) + eps) * weight

    evaluated in float32 in that order (x times the reciprocal root, then times weight).
    """
    xf = x.float()
    inv_rms = torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + eps)
    return xf * inv_rms * weight.float()


def fused_add_rmsnorm_quant(
    x: torch.Tensor,
    residual: torch.Tensor,
    weight: torch.Tensor,
    eps: float,
    dtype: str = "int8",
    scale_ub=None,
):
    """What the fused kernel computes, step by step:

        new_residual = x + residual                     in x.dtype (rounded once),
                                                        as the kernel stores it
        normed       = rms_norm(float(new_residual), weight, eps)   float32, never
                                                        rounded to x.dtype
        q, scale     = per-token quantization of normed:
                       dtype="int8": symmetric int8 (quantize_per_token_int8)
                       dtype="fp8":  float8_e4m3fn (quantize_per_token_fp8, scale_ub)

    x, residual: [..., K], same dtype (float32, float16 or bfloat16) and shape.
    weight: [K], float32 or x.dtype. eps: a positive finite float.
    scale_ub: only with dtype="fp8".
    Returns (q, scale float32 [..., 1], new_residual). The kernel will update residual
    in place; this reference returns a new tensor and leaves its inputs alone.
    """
    fn = "fused_add_rmsnorm_quant"
    _check_activation(fn, "x", x)
    check_tensor(fn, "residual", residual, dtypes=(x.dtype,), shape=tuple(x.shape),
                 device=x.device)
    k = x.shape[-1]
    weight_dtypes = tuple(dict.fromkeys((x.dtype, torch.float32)))
    check_tensor(fn, "weight", weight, dtypes=weight_dtypes, shape=(k,), device=x.device)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) \
            or not (math.isfinite(eps) and eps > 0):
        fail(fn, "eps", repr(eps), "must be a positive finite number")
    check_choice(fn, "dtype", dtype, ("int8", "fp8"))
    if dtype == "int8" and scale_ub is not None:
        fail(fn, "scale_ub", scale_ub, "must be None unless dtype='fp8'")
    _check_scale_ub(fn, scale_ub, x.device)
    if not bool(torch.isfinite(residual).all()):
        fail(fn, "residual", "inf or NaN entries", "must be finite")
    if not bool(torch.isfinite(weight).all()):
        fail(fn, "weight", "inf or NaN entries", "must be finite")

    new_residual = x + residual
    if not bool(torch.isfinite(new_residual).all()):
        # x + residual overflowed x.dtype (float16 past 65504): nothing sensible follows.
        fail(fn, "x + residual", "inf entries", f"must be finite in {x.dtype}")
    normed = rms_norm(new_residual, weight, float(eps))
    if dtype == "int8":
        q, scale, _ = quantize_per_token_int8(normed, symmetric=True)
    else:
        q, scale = quantize_per_token_fp8(normed, scale_ub=scale_ub)
    return q, scale, new_residual
