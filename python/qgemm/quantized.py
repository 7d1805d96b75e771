"""QuantizedWeight: one quantized [N, K] weight in qgemm's own unpacked form.

This is the meeting point of the library: quantizers and checkpoint importers produce
it, exporters and kernel-format packers consume it. Codes are kept one per element,
unpacked and row-major like nn.Linear.weight, so each format's bit layout lives only
in its own packer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ._validate import check_tensor, fail
from .schemes import Scheme, get_scheme

SCALE_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


@dataclass(eq=False)
class QuantizedWeight:
    """A weight W [N, K] (out x in) as codes, per-group scales and zero points.

    scheme      one of qgemm.schemes.SCHEME_NAMES.
    group_size  group size along K, dividing K; K itself for per-channel.
    qdata       [N, K] codes, contiguous: int8 for int4 ([-8, 7]) and int8
                ([-127, 127]); uint8 for uint4 ([0, 15]) and the fpx schemes (raw
                bits s|e|m, right-aligned); torch.float8_e4m3fn for fp8_e4m3.
    scales      [N, K // group_size], float16, bfloat16 or float32, contiguous.
    zeros       uint4 only (required there), [N, K // group_size], contiguous: uint8
                for integer zero points (AWQ, GPTQ) or the dtype of scales for float
                ones (HQQ). None for the symmetric schemes.
    perm        act-order (GPTQ g_idx): int64 [K]; column j of qdata, and so of the
                groups, is input channel perm[j]. Ascending within each group.
                None means the identity, and an identity perm is stored as None.

    Construction checks dtypes, shapes, devices and perm; it does not scan the codes
    (quantizers and importers only produce valid ones).
    """

    scheme: str
    group_size: int
    qdata: torch.Tensor
    scales: torch.Tensor
    zeros: Optional[torch.Tensor] = None
    perm: Optional[torch.Tensor] = None

    def __post_init__(self) -> None:
        fn = "QuantizedWeight"
        s: Scheme = get_scheme(self.scheme, fn=fn, arg="scheme")
        check_tensor(fn, "qdata", self.qdata, dtypes=(s.qdata_dtype,), ndim=2)
        n, k = self.qdata.shape
        if n == 0 or k == 0:
            fail(fn, "qdata", f"shape {(n, k)}", "must be non-empty")
        device = self.qdata.device

        g = self.group_size
        if isinstance(g, bool) or not isinstance(g, int) or g <= 0 or k % g != 0:
            fail(fn, "group_size", repr(g), f"must be a positive int dividing K={k}")
        groups = k // g

        check_tensor(fn, "scales", self.scales, dtypes=SCALE_DTYPES, shape=(n, groups),
                     device=device)
        if s.asymmetric:
            if self.zeros is None:
                fail(fn, "zeros", None, f"must be given for the asymmetric scheme {s.name}")
            check_tensor(fn, "zeros", self.zeros, dtypes=(torch.uint8, self.scales.dtype),
                         shape=(n, groups), device=device)
        elif self.zeros is not None:
            fail(fn, "zeros", "a tensor", f"must be None for the symmetric scheme {s.name}")

        if self.perm is not None:
            check_tensor(fn, "perm", self.perm, dtypes=(torch.int64,), shape=(k,),
                         device=device)
            _check_perm(fn, self.perm, g)
            if torch.equal(self.perm, torch.arange(k, device=device)):
                self.perm = None  # one spelling of "no act-order", so kernels test `is None`

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.qdata.shape)

    @property
    def per_channel(self) -> bool:
        return self.group_size == self.qdata.shape[1]

    @property
    def num_groups(self) -> int:
        return self.qdata.shape[1] // self.group_size

    @property
    def has_float_zeros(self) -> bool:
        """True for HQQ-style zero points, kept as floats rather than integers."""
        return self.zeros is not None and self.zeros.dtype != torch.uint8

    def dequantize(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """W [N, K] in the original input-channel order (perm undone); see
        qgemm.reference.quantize.dequantize."""
        # Imported here: the reference module builds QuantizedWeights itself.
        from .reference.quantize import dequantize

        return dequantize(self, dtype)

    def to(self, device) -> "QuantizedWeight":
        """A copy with every tensor on `device`."""

        def move(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
            return None if t is None else t.to(device)

        return QuantizedWeight(self.scheme, self.group_size, move(self.qdata),
                               move(self.scales), move(self.zeros), move(self.perm))


def _check_perm(fn: str, perm: torch.Tensor, group_size: int) -> None:
    """perm must be a permutation of range(K), ascending within each group."""
    k = perm.numel()
    if not torch.equal(torch.sort(perm).values, torch.arange(k, device=perm.device)):
        fail(fn, "perm", "repeated or out-of-range entries",
             f"must be a permutation of range(K={k})")
    by_group = perm.view(k // group_size, group_size)
    if not bool((by_group[:, 1:] > by_group[:, :-1]).all()):
        fail(fn, "perm", "a group out of order",
             f"must be ascending within each group of {group_size}")
