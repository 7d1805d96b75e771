"""AWQ checkpoints (AutoAWQ's GEMM layout) <-> QuantizedWeight.

    qweight  int32 [K, N/8]     8 codes along N per word
    qzeros   int32 [K/g, N/8]   integer zero points, packed like qweight
    scales   fp16/bf16 [K/g, N]

Within a word, nibble i (bits 4i .. 4i+3) holds column 8c + AWQ_ORDER[i]: the even
columns of the run first, then the odd ones, the order in which AWQ's dequantization
kernel unpacks them. Dequantization is (q - z) * s: scheme uint4, integer zeros.
"""
from __future__ import annotations

import torch

from .._validate import check_tensor
from ..quantized import QuantizedWeight
from ..schemes import resolve_group_size
from ._checks import check_divisible, check_exportable, check_nonempty
from ._nibbles import pack_int32, unpack_int32

AWQ_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)
AWQ_SCALE_DTYPES = (torch.float16, torch.bfloat16)


def awq_parts(fn: str, qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor,
              group_size: int) -> tuple[int, int, int, torch.Tensor]:
    """Validate AWQ tensors; return (K, N, group size, zeros [K/g, N] uint8). The codes
    stay packed: import_awq unpacks them, qgemm.prepack_awq repacks them in one pass."""
    check_tensor(fn, "qweight", qweight, dtypes=(torch.int32,), ndim=2)
    check_nonempty(fn, "qweight", qweight)
    k, n = qweight.shape[0], qweight.shape[1] * 8
    g = resolve_group_size(fn, "group_size", group_size, k)
    device = qweight.device
    check_tensor(fn, "qzeros", qzeros, dtypes=(torch.int32,), shape=(k // g, n // 8),
                 device=device)
    check_tensor(fn, "scales", scales, dtypes=AWQ_SCALE_DTYPES, shape=(k // g, n),
                 device=device)
    return k, n, g, unpack_int32(qzeros, dim=1, order=AWQ_ORDER)


def import_awq(
    qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor, group_size: int
) -> QuantizedWeight:
    """A uint4 QuantizedWeight (integer zeros) from AutoAWQ GEMM tensors, on their device."""
    k, n, g, zeros = awq_parts("import_awq", qweight, qzeros, scales, group_size)
    codes = unpack_int32(qweight, dim=1, order=AWQ_ORDER)  # [K, N]
    return QuantizedWeight(
        scheme="uint4",
        group_size=g,
        qdata=codes.t().contiguous(),
        scales=scales.t().contiguous(),
        zeros=zeros.t().contiguous(),
    )


def export_awq(qw: QuantizedWeight) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(qweight, qzeros, scales) in AutoAWQ's GEMM layout.

    qw must be uint4 with integer zeros, no act-order, fp16/bf16 scales, N % 8 == 0.
    """
    fn = "export_awq"
    check_exportable(fn, qw, schemes=("uint4",), zeros="int", allow_perm=False,
                     scale_dtypes=AWQ_SCALE_DTYPES)
    check_divisible(fn, "qw.qdata", qw.qdata, 0, 8, "AWQ packs 8 output channels per int32")

    qweight = pack_int32(qw.qdata.t(), dim=1, order=AWQ_ORDER)
    qzeros = pack_int32(qw.zeros.t(), dim=1, order=AWQ_ORDER)
    return qweight, qzeros, qw.scales.t().contiguous()
