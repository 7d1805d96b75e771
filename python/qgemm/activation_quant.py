"""W8A8 activation quantization on the GPU as torch.library custom ops.

Public entries, with qgemm.reference.activation_quant's names, signatures and results:
quantize_per_token_int8, quantize_per_token_fp8, quantize_per_tensor_int8,
quantize_per_tensor_fp8 and fused_add_rmsnorm_quant (which updates `residual` in place
and returns it). Kernels: include/qgemm/quant/.

Validation happens here, in Python, before any kernel runs: types, dtypes, shapes,
contiguity and devices, each failure a ValueError naming the argument. Unlike the
reference, values are not checked (no isfinite, no .item()): that would sync the host.
So the ops are CUDA-graph safe and trace under torch.compile(fullgraph=True); a tensor
scale_ub or static scale is read by the kernel on the device. Non-finite inputs give
unspecified codes.
"""
from __future__ import annotations

import math
import struct
from typing import Optional

import torch

from qgemm import _ext, ops
from qgemm._validate import check_choice, check_tensor, fail

FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
FP8 = torch.float8_e4m3fn
_DTYPE_CODE = {torch.float16: 0, torch.bfloat16: 1, torch.float32: 2}
_INT8_SYM, _INT8_ASYM, _FP8 = 0, 1, 2  # qgemm::quant::QuantKind
_NO_BOUND = math.inf                  # scale_ub_value meaning "no bound"
_FLT_MIN = 2.0**-126                  # smallest normal float32: the least eps the kernel takes


# --------------------------------------------------------------------------- helpers

def _new(shape, dtype, device) -> torch.Tensor:
    """An output tensor; poisoned when qgemm.ops.POISON_OUTPUTS is set (tests): floats
    NaN (via ops._new), fp8 NaN (0xFF), integers 0x80 bytes (int8 -128, a code symmetric
    quantization never writes)."""
    if dtype.is_floating_point and dtype != FP8:
        return ops._new(shape, dtype, device)
    t = torch.empty(shape, dtype=dtype, device=device)
    if ops.POISON_OUTPUTS:
        t.view(-1).view(torch.uint8).fill_(0xFF if dtype == FP8 else 0x80)
    return t


def _rows(x: torch.Tensor) -> tuple[int, int]:
    k = x.shape[-1]
    return x.numel() // k, k


def _scale_shape(x: torch.Tensor) -> tuple[int, ...]:
    return (*x.shape[:-1], 1)


def _check(status: int, fn: str) -> None:
    _ext.check_status(fn, status)


def _check_x(fn: str, arg: str, x) -> None:
    """x [..., K]: float32/float16/bfloat16, contiguous, K >= 1 (no value checks)."""
    check_tensor(fn, arg, x, dtypes=FLOAT_DTYPES)
    if x.dim() < 1 or x.shape[-1] == 0:
        fail(fn, arg, f"shape {tuple(x.shape)}", "must be [..., K] with K >= 1")
    if x.shape[-1] >= 2**31:
        fail(fn, arg, f"shape {tuple(x.shape)}", "must have K < 2**31")


def _check_cuda(fn: str, arg: str, t: torch.Tensor, device: Optional[torch.device] = None) -> None:
    if device is None:
        if t.device.type != "cuda":
            fail(fn, arg, t.device, "must be on a CUDA device")
    elif t.device != device:
        fail(fn, arg, t.device, f"must be on x's device {device}")


def _scale_ub_arg(fn: str, scale_ub) -> tuple[Optional[torch.Tensor], float]:
    """scale_ub -> (tensor or None, value): a tensor is read on the device; a number
    must be positive and finite (checked here, no sync); None is no bound (+inf)."""
    if scale_ub is None:
        return None, _NO_BOUND
    if isinstance(scale_ub, torch.Tensor):
        check_tensor(fn, "scale_ub", scale_ub, dtypes=(torch.float32,))
        if scale_ub.numel() != 1:
            fail(fn, "scale_ub", f"shape {tuple(scale_ub.shape)}", "must have one element")
        return scale_ub, _NO_BOUND
    if isinstance(scale_ub, (int, float)) and not isinstance(scale_ub, bool):
        value = float(scale_ub)
        if not (math.isfinite(value) and value > 0):
            fail(fn, "scale_ub", value, "must be positive and finite")
        return None, value
    fail(fn, "scale_ub", type(scale_ub).__name__, "must be None, a number or a tensor")


def _check_static_scale(fn: str, scale) -> None:
    check_tensor(fn, "scale", scale, dtypes=(torch.float32,))
    if tuple(scale.shape) not in ((), (1,), (1, 1)):
        fail(fn, "scale", f"shape {tuple(scale.shape)}", "must have shape [], [1] or [1, 1]")


def _ptr(t: Optional[torch.Tensor]) -> int:
    return 0 if t is None else t.data_ptr()


# --------------------------------------------------------------------------- custom ops

@torch.library.custom_op("qgemm::per_token_quant_int8", mutates_args=(), device_types="cuda")
def _per_token_int8(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    m, k = _rows(x)
    q = _new(x.shape, torch.int8, x.device)
    scale = _new(_scale_shape(x), torch.float32, x.device)
    with _ext.launch_on(x):
        _check(_ext.extension().per_token_quant(
            _INT8_SYM, _DTYPE_CODE[x.dtype], x.data_ptr(), k, q.data_ptr(), k, scale.data_ptr(), 0, 0,
            _NO_BOUND, m, k, _ext.current_stream()), "quantize_per_token_int8")
    return q, scale


@_per_token_int8.register_fake
def _(x):
    return x.new_empty(x.shape, dtype=torch.int8), x.new_empty(_scale_shape(x), dtype=torch.float32)


@torch.library.custom_op("qgemm::per_token_quant_int8_asym", mutates_args=(), device_types="cuda")
def _per_token_int8_asym(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    m, k = _rows(x)
    q = _new(x.shape, torch.int8, x.device)
    scale = _new(_scale_shape(x), torch.float32, x.device)
    zp = _new(_scale_shape(x), torch.int32, x.device)
    with _ext.launch_on(x):
        _check(_ext.extension().per_token_quant(
            _INT8_ASYM, _DTYPE_CODE[x.dtype], x.data_ptr(), k, q.data_ptr(), k, scale.data_ptr(),
            zp.data_ptr(), 0, _NO_BOUND, m, k, _ext.current_stream()), "quantize_per_token_int8")
    return q, scale, zp


@_per_token_int8_asym.register_fake
def _(x):
    return (x.new_empty(x.shape, dtype=torch.int8), x.new_empty(_scale_shape(x), dtype=torch.float32),
            x.new_empty(_scale_shape(x), dtype=torch.int32))


@torch.library.custom_op("qgemm::per_token_quant_fp8", mutates_args=(), device_types="cuda")
def _per_token_fp8(x: torch.Tensor, scale_ub: Optional[torch.Tensor],
                   scale_ub_value: float) -> tuple[torch.Tensor, torch.Tensor]:
    m, k = _rows(x)
    q = _new(x.shape, FP8, x.device)
    scale = _new(_scale_shape(x), torch.float32, x.device)
    with _ext.launch_on(x):
        _check(_ext.extension().per_token_quant(
            _FP8, _DTYPE_CODE[x.dtype], x.data_ptr(), k, q.data_ptr(), k, scale.data_ptr(), 0,
            _ptr(scale_ub), scale_ub_value, m, k, _ext.current_stream()), "quantize_per_token_fp8")
    return q, scale


@_per_token_fp8.register_fake
def _(x, scale_ub, scale_ub_value):
    return x.new_empty(x.shape, dtype=FP8), x.new_empty(_scale_shape(x), dtype=torch.float32)


@torch.library.custom_op("qgemm::per_tensor_quant", mutates_args=(), device_types="cuda")
def _per_tensor(x: torch.Tensor, scale: torch.Tensor, fp8: bool) -> torch.Tensor:
    m, k = _rows(x)
    q = _new(x.shape, FP8 if fp8 else torch.int8, x.device)
    with _ext.launch_on(x):
        _check(_ext.extension().per_tensor_quant(
            _FP8 if fp8 else _INT8_SYM, _DTYPE_CODE[x.dtype], x.data_ptr(), k, q.data_ptr(), k,
            scale.data_ptr(), m, k, _ext.current_stream()),
            "quantize_per_tensor_fp8" if fp8 else "quantize_per_tensor_int8")
    return q


@_per_tensor.register_fake
def _(x, scale, fp8):
    return x.new_empty(x.shape, dtype=FP8 if fp8 else torch.int8)


@torch.library.custom_op("qgemm::fused_add_rmsnorm_quant", mutates_args=("residual",),
                         device_types="cuda")
def _fused(x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor, eps: float, fp8: bool,
           scale_ub: Optional[torch.Tensor], scale_ub_value: float) -> tuple[torch.Tensor, torch.Tensor]:
    m, k = _rows(x)
    q = _new(x.shape, FP8 if fp8 else torch.int8, x.device)
    scale = _new(_scale_shape(x), torch.float32, x.device)
    with _ext.launch_on(x):
        _check(_ext.extension().fused_add_rmsnorm_quant(
            _FP8 if fp8 else _INT8_SYM, _DTYPE_CODE[x.dtype], x.data_ptr(), k, residual.data_ptr(), k,
            weight.data_ptr(), _DTYPE_CODE[weight.dtype], q.data_ptr(), k, scale.data_ptr(),
            _ptr(scale_ub), scale_ub_value, eps, m, k, _ext.current_stream()), "fused_add_rmsnorm_quant")
    return q, scale


@_fused.register_fake
def _(x, residual, weight, eps, fp8, scale_ub, scale_ub_value):
    return (x.new_empty(x.shape, dtype=FP8 if fp8 else torch.int8),
            x.new_empty(_scale_shape(x), dtype=torch.float32))


# --------------------------------------------------------------------------- public API

def quantize_per_token_int8(x: torch.Tensor, symmetric: bool = True):
    """Dynamic per-token int8 quantization of x [..., K] (CUDA, contiguous).

    Returns (q int8 [..., K], scale float32 [..., 1], zero_point int32 [..., 1] or None);
    zero_point is None when symmetric. Same results as the reference, bit for bit.
    """
    fn = "quantize_per_token_int8"
    _check_x(fn, "x", x)
    check_choice(fn, "symmetric", symmetric, (True, False))
    _check_cuda(fn, "x", x)
    if symmetric:
        q, scale = _per_token_int8(x)
        return q, scale, None
    return _per_token_int8_asym(x)


def quantize_per_token_fp8(x: torch.Tensor, scale_ub=None):
    """Dynamic per-token float8_e4m3fn quantization of x [..., K] (CUDA, contiguous).

    scale_ub: None, a positive number (passed by value) or a float32 one-element tensor
    on x's device (read by the kernel: graph-safe, its value is not checked).
    Returns (q float8_e4m3fn [..., K], scale float32 [..., 1]), as the reference's.
    """
    fn = "quantize_per_token_fp8"
    _check_x(fn, "x", x)
    ub_tensor, ub_value = _scale_ub_arg(fn, scale_ub)
    _check_cuda(fn, "x", x)
    if ub_tensor is not None:
        _check_cuda(fn, "scale_ub", ub_tensor, x.device)
    return _per_token_fp8(x, ub_tensor, ub_value)


def _per_tensor_entry(fn: str, x, scale, fp8: bool) -> torch.Tensor:
    _check_x(fn, "x", x)
    _check_static_scale(fn, scale)
    _check_cuda(fn, "x", x)
    _check_cuda(fn, "scale", scale, x.device)
    return _per_tensor(x, scale, fp8)


def quantize_per_tensor_int8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Static int8 quantization of x [..., K] with a float32 scale of shape [], [1] or
    [1, 1] on x's device (read by the kernel; must hold a positive value):
    q = clamp(round(x / s), -127, 127). Returns q int8 [..., K]."""
    return _per_tensor_entry("quantize_per_tensor_int8", x, scale, fp8=False)


def quantize_per_tensor_fp8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Static float8_e4m3fn quantization of x [..., K] with a float32 scale of shape [],
    [1] or [1, 1] on x's device: q = clamp(x / s, -448, 448) cast to float8_e4m3fn."""
    return _per_tensor_entry("quantize_per_tensor_fp8", x, scale, fp8=True)


def fused_add_rmsnorm_quant(x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor,
                            eps: float, dtype: str = "int8", scale_ub=None):
    """residual += x (in x.dtype, rounded once, in place); y = RMSNorm(residual) * weight
    in float32; (q, scale) = per-token int8 symmetric (dtype="int8") or float8_e4m3fn
    (dtype="fp8", optional scale_ub) quantization of y.

    x, residual: [..., K], same dtype and shape, contiguous, CUDA. weight: [K], x.dtype
    or float32. eps: a positive finite number. Returns (q, scale float32 [..., 1],
    residual) where residual is the argument itself, updated.
    """
    fn = "fused_add_rmsnorm_quant"
    _check_x(fn, "x", x)
    check_tensor(fn, "residual", residual, dtypes=(x.dtype,), shape=tuple(x.shape))
    k = x.shape[-1]
    weight_dtypes = tuple(dict.fromkeys((x.dtype, torch.float32)))
    check_tensor(fn, "weight", weight, dtypes=weight_dtypes, shape=(k,))
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) \
            or not (math.isfinite(eps) and 0 < eps < 3.4e38) \
            or struct.unpack("f", struct.pack("f", eps))[0] < _FLT_MIN:
        fail(fn, "eps", repr(eps), "must be a positive finite number, a normal float32 (>= 2**-126)")
    check_choice(fn, "dtype", dtype, ("int8", "fp8"))
    if dtype == "int8" and scale_ub is not None:
        fail(fn, "scale_ub", scale_ub, "must be None unless dtype='fp8'")
    ub_tensor, ub_value = _scale_ub_arg(fn, scale_ub)
    _check_cuda(fn, "x", x)
    _check_cuda(fn, "residual", residual, x.device)
    _check_cuda(fn, "weight", weight, x.device)
    if ub_tensor is not None:
        _check_cuda(fn, "scale_ub", ub_tensor, x.device)
    q, scale = _fused(x, residual, weight, float(eps), dtype == "fp8", ub_tensor, ub_value)
    return q, scale, residual
