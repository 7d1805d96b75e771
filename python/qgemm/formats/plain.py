"""The plain format (torchao's pack_2xint4, as used by its HQQ Triton kernels).

    packed  uint8 [K/2, N]   W^T with two codes per byte along K: even k in the low
                             nibble, odd k in the high nibble
    scales  [N, K/g]         float16, bfloat16 or float32
    zeros   [N, K/g]         uint4 only: uint8 (integer) or the scales' dtype (float)

Codes are int4 (the nibble is two's complement, w = q * s) or uint4 (w = (q - z) * s).
torchao's pack_2xint4 returns the same bytes typed int8 when handed int8 codes; here
they are uint8 (reinterpret with .view(torch.uint8)).
"""
from __future__ import annotations

from typing import Optional

import torch

from .._validate import check_choice, check_tensor, fail
from ..quantized import SCALE_DTYPES, QuantizedWeight
from ..schemes import resolve_group_size
from ._checks import check_divisible, check_exportable, check_nonempty
from ._nibbles import pack_u8_pairs, unpack_u8_pairs

PLAIN_SCHEMES = ("int4", "uint4")


def import_plain(
    packed: torch.Tensor,
    scales: torch.Tensor,
    zeros: Optional[torch.Tensor] = None,
    *,
    scheme: str = "uint4",
    group_size: int = 128,
) -> QuantizedWeight:
    """A QuantizedWeight from pack_2xint4 codes, on packed's device."""
    fn = "import_plain"
    check_choice(fn, "scheme", scheme, PLAIN_SCHEMES)
    check_tensor(fn, "packed", packed, dtypes=(torch.uint8,), ndim=2)
    check_nonempty(fn, "packed", packed)
    k, n = packed.shape[0] * 2, packed.shape[1]
    g = resolve_group_size(fn, "group_size", group_size, k)
    device = packed.device
    check_tensor(fn, "scales", scales, dtypes=SCALE_DTYPES, shape=(n, k // g), device=device)
    if scheme == "uint4":
        if zeros is None:
            fail(fn, "zeros", None, "must be given for scheme 'uint4'")
        check_tensor(fn, "zeros", zeros, dtypes=(torch.uint8, scales.dtype),
                     shape=(n, k // g), device=device)
    elif zeros is not None:
        fail(fn, "zeros", "a tensor", "must be None for scheme 'int4' (symmetric)")

    low, high = unpack_u8_pairs(packed)  # [K/2, N] each: even and odd k
    codes = torch.stack([low, high], dim=1).reshape(k, n).t().contiguous()
    if scheme == "int4":
        # Sign-extend the 4-bit two's complement: 0..7 stay, 8..15 become -8..-1.
        codes = (codes.to(torch.int8) ^ 8) - 8
    return QuantizedWeight(
        scheme=scheme,
        group_size=g,
        qdata=codes,
        scales=scales.clone(),
        zeros=None if zeros is None else zeros.clone(),
    )


def export_plain(
    qw: QuantizedWeight,
) -> tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
    """(packed, scales, zeros) in pack_2xint4 layout; zeros is None for int4.

    qw must be int4 or uint4, without act-order, with K even.
    """
    fn = "export_plain"
    check_exportable(fn, qw, schemes=PLAIN_SCHEMES, zeros=None, allow_perm=False,
                     scale_dtypes=SCALE_DTYPES)
    check_divisible(fn, "qw.qdata", qw.qdata, 1, 2, "two input channels share a byte")

    nibbles = (qw.qdata & 0xF).t()  # [K, N]; int4's & 0xF keeps its two's complement bits
    packed = pack_u8_pairs(low=nibbles[0::2], high=nibbles[1::2])
    zeros = None if qw.zeros is None else qw.zeros.clone()
    return packed, qw.scales.clone(), zeros
