"""PackedWeight: a QuantizedWeight in the kernel format, on the GPU, ready for linear().

prepack() turns any QuantizedWeight (from quantize() or any importer) into it with the
GPU repack kernel; scales and zeros are transposed to [K / g, N] and cast to the
activation dtype once, here, so that no op converts anything per call.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from qgemm import _ext
from qgemm import kernel_format as kf
from qgemm._validate import check_choice, fail
from qgemm.formats.awq import awq_parts
from qgemm.formats.gptq import gptq_parts
from qgemm.quantized import QuantizedWeight

# Weight kinds, as the C++ launcher numbers them (include/qgemm/gemm/wna16_launch.cuh).
KIND_INT4, KIND_UINT4, KIND_INT8 = 0, 1, 2
_KIND = {"int4": KIND_INT4, "uint4": KIND_UINT4, "int8": KIND_INT8}
ACT_DTYPES = (torch.float16, torch.bfloat16)
GROUP_SIZES = (32, 64, 128)
# Alignment the kernels rely on: N in 64-wide tiles, K in 128-deep pipeline steps.
N_ALIGN, K_ALIGN = 64, 128


# Kernel formats a PackedWeight can hold. The sm80 mma.sync kernel (and the dense path)
# reads all four; int4_k64 (int4 / uint4) and int8_k64 (int8) also feed the sm90a wgmma
# kernel (group size a multiple of 64 or K).
FORMATS = ("int4_fragment", "int8_fragment", "int4_k64", "int8_k64")
K64_FORMATS = ("int4_k64", "int8_k64")


@dataclass(eq=False)
class PackedWeight:
    """W [N, K] in a kernel format. `packed` holds `format`'s bytes (one of FORMATS, see
    check_format for the default); scales (and zeros) are
    [K / group_size, N] in `dtype`; perm is the act-order input permutation (x[..., perm]
    feeds the kernel) or None."""

    scheme: str
    kind: int
    n: int
    k: int
    group_size: int
    dtype: torch.dtype
    packed: torch.Tensor
    scales: torch.Tensor
    zeros: Optional[torch.Tensor]
    perm: Optional[torch.Tensor]
    format: str = "int4_fragment"

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.k)

    @property
    def device(self) -> torch.device:
        return self.packed.device

    def nbytes(self) -> int:
        t = [self.packed, self.scales] + [x for x in (self.zeros, self.perm) if x is not None]
        return sum(x.numel() * x.element_size() for x in t)


def _check_shape(fn: str, n: int, k: int, g: int,
                 n_arg: str = "N", k_arg: str = "K", g_arg: str = "group_size") -> None:
    """The kernels' alignment rule, named after the caller's own arguments."""
    if n % N_ALIGN:
        fail(fn, n_arg, n, f"must be a multiple of {N_ALIGN}")
    if k % K_ALIGN:
        fail(fn, k_arg, k, f"must be a multiple of {K_ALIGN}")
    if g not in GROUP_SIZES and g != k:
        fail(fn, g_arg, g, f"must be one of {GROUP_SIZES} or K={k} (per-channel)")


def check_packable(fn: str, qw: QuantizedWeight) -> None:
    if not isinstance(qw, QuantizedWeight):
        fail(fn, "qw", type(qw).__name__, "must be a qgemm.QuantizedWeight")
    check_choice(fn, "qw.scheme", qw.scheme, tuple(_KIND))
    n, k = qw.shape
    _check_shape(fn, n, k, qw.group_size, "N (qw.shape[0])", "K (qw.shape[1])", "qw.group_size")


def fragment_format(scheme: str) -> str:
    """The sm80 kernel's format for a scheme."""
    return "int8_fragment" if scheme == "int8" else "int4_fragment"


def k64_format(scheme: str) -> str:
    """The sm90a kernel's format for a scheme."""
    return "int8_k64" if scheme == "int8" else "int4_k64"


def _k64_readable(qw: QuantizedWeight) -> bool:
    """The k64 formats hold codes whose groups cover whole k64 tiles."""
    g, k = qw.group_size, qw.shape[1]
    return (g % 64 == 0 or g == k) and k % 64 == 0


# Where the sm90a kernel runs, prepack() writes the k64 format of the scheme for the weights
# it reads (the sm90a kernel at M > ops.K64_FUSED_MAX_M, the sm80 kernel below; measured
# faster than fragment weights: benchmarks/results/); False keeps the fragment formats.
PREFER_K64 = True


def check_format(fn: str, qw: QuantizedWeight, format: Optional[str], device=None) -> str:
    """The kernel format prepack() writes for `qw` on `device`: by default the scheme's k64
    format where the sm90a kernel runs and can read it (group size a multiple of 64 or K),
    else the fragment format of the sm80 kernel."""
    if format is None:
        if PREFER_K64 and device is not None and _k64_readable(qw) and _ext.runs_sm90a(device):
            return k64_format(qw.scheme)
        return fragment_format(qw.scheme)
    check_choice(fn, "format", format, FORMATS)
    allowed = (fragment_format(qw.scheme), k64_format(qw.scheme))
    if format not in allowed:
        fail(fn, "format", format, f"must be {allowed[0]!r} or {allowed[1]!r} for scheme {qw.scheme!r}")
    if format in K64_FORMATS and not _k64_readable(qw):
        fail(fn, "qw.group_size", qw.group_size, f"must be a multiple of 64 or K for format {format!r}")
    return format


def prepack(qw: QuantizedWeight, device=None, dtype: Optional[torch.dtype] = None,
            format: Optional[str] = None) -> PackedWeight:
    """Repack `qw` into a kernel format on `device` (default: the current CUDA device).

    dtype is the activation dtype the weight will be used with (fp16 or bf16); default:
    the dtype of qw.scales when that is fp16/bf16, else fp16. format: None (the format
    the default dispatch reads) or one of FORMATS; the k64 formats are read by the sm90a
    kernel and the sm80 kernel, the fragment formats by the sm80 kernel.
    """
    fn = "prepack"
    check_packable(fn, qw)
    device = torch.device(device) if device is not None else torch.device("cuda", torch.cuda.current_device())
    if device.type != "cuda":
        fail(fn, "device", device, "must be a CUDA device")
    format = check_format(fn, qw, format, device)
    if dtype is None:
        dtype = qw.scales.dtype if qw.scales.dtype in ACT_DTYPES else torch.float16
    check_choice(fn, "dtype", dtype, ACT_DTYPES)

    codes = qw.qdata.to(device, non_blocking=True)
    pack = {"int4_fragment": kf.pack_int4_fragment, "int8_fragment": kf.pack_int8_fragment,
            "int4_k64": kf.pack_int4_k64, "int8_k64": kf.pack_int8_k64}[format]
    packed = pack(codes)
    scales = qw.scales.to(device).t().to(dtype).contiguous()
    zeros = None if qw.zeros is None else qw.zeros.to(device).t().to(dtype).contiguous()
    perm = None if qw.perm is None else qw.perm.to(device)
    n, k = qw.shape
    return PackedWeight(qw.scheme, _KIND[qw.scheme], n, k, qw.group_size, dtype, packed,
                        scales, zeros, perm, format)


def _from_checkpoint(fn: str, qweight: torch.Tensor, n: int, k: int, g: int, zeros: torch.Tensor,
                     scales: torch.Tensor, perm: Optional[torch.Tensor], dtype, launch) -> PackedWeight:
    if not qweight.is_cuda:
        fail(fn, "qweight", qweight.device, "must be on a CUDA device (import_* works anywhere)")
    _ext.require_cuda(fn)
    _check_shape(fn, n, k, g)
    dtype = dtype or (scales.dtype if scales.dtype in ACT_DTYPES else torch.float16)
    check_choice(fn, "dtype", dtype, ACT_DTYPES)
    packed = torch.empty((k // 16, n // 64, 512), dtype=torch.uint8, device=qweight.device)
    status = launch(packed)
    _ext.check_status(fn, status, "repack kernel")
    return PackedWeight("uint4", KIND_UINT4, n, k, g, dtype, packed, scales.to(dtype).contiguous(),
                        zeros.to(dtype).contiguous(), perm)


def prepack_awq(qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor,
                group_size: int, dtype: Optional[torch.dtype] = None) -> PackedWeight:
    """AutoAWQ GEMM tensors on a CUDA device -> PackedWeight in one pass over the codes.

    Same bytes as prepack(import_awq(...)), without materializing the unpacked codes:
    the repack kernel reads AWQ's own packing.
    """
    fn = "prepack_awq"
    k, n, g, zeros = awq_parts(fn, qweight, qzeros, scales, group_size)
    return _from_checkpoint(
        fn, qweight, n, k, g, zeros, scales, None, dtype,
        lambda out: _ext.extension().pack_int4_from_awq_cuda(
            qweight.data_ptr(), n, k, out.data_ptr(), _ext.current_stream()))


def prepack_gptq(qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor,
                 group_size: int, g_idx: Optional[torch.Tensor] = None, *,
                 checkpoint_format: str = "gptq", dtype: Optional[torch.dtype] = None) -> PackedWeight:
    """GPTQ tensors on a CUDA device -> PackedWeight in one pass (act-order included).

    Same bytes as prepack(import_gptq(...)); the repack kernel reads GPTQ's packing.
    """
    fn = "prepack_gptq"
    k, n, g, zeros, perm = gptq_parts(fn, qweight, qzeros, scales, group_size, g_idx,
                                      checkpoint_format)
    return _from_checkpoint(
        fn, qweight, n, k, g, zeros, scales, perm, dtype,
        lambda out: _ext.extension().pack_int4_from_gptq_cuda(
            qweight.data_ptr(), 0 if perm is None else perm.data_ptr(), n, k, out.data_ptr(),
            _ext.current_stream()))
