"""Argument checks common to the checkpoint importers and exporters."""
from __future__ import annotations

from typing import Optional, Sequence

import torch

from .._validate import fail
from ..quantized import QuantizedWeight


def check_nonempty(fn: str, arg: str, t: torch.Tensor) -> None:
    if t.numel() == 0:
        fail(fn, arg, f"shape {tuple(t.shape)}", "must be non-empty")


def check_divisible(fn: str, arg: str, t: torch.Tensor, dim: int, multiple: int, why: str) -> None:
    if t.shape[dim] % multiple != 0:
        fail(fn, arg, f"shape {tuple(t.shape)}",
             f"must have dim {dim} a multiple of {multiple} ({why})")


def check_exportable(
    fn: str,
    qw,
    *,
    schemes: Sequence[str],
    zeros: Optional[str],
    allow_perm: bool,
    scale_dtypes: Sequence[torch.dtype],
) -> None:
    """qw must be a QuantizedWeight that the format can hold.

    zeros: "int" (uint8 zero points), "float" (float zero points), or None when the
    format takes either (or none, for symmetric schemes).
    """
    if not isinstance(qw, QuantizedWeight):
        fail(fn, "qw", type(qw).__name__, "must be a QuantizedWeight")
    if qw.scheme not in schemes:
        fail(fn, "qw.scheme", repr(qw.scheme), f"must be one of {tuple(schemes)} for this format")
    if zeros == "int" and qw.has_float_zeros:
        fail(fn, "qw.zeros", qw.zeros.dtype, "must be uint8 (integer zero points) for this format")
    if zeros == "float" and not qw.has_float_zeros:
        fail(fn, "qw.zeros", qw.zeros.dtype,
             "must be float (HQQ-style zero points, the dtype of the scales) for this format")
    if not allow_perm and qw.perm is not None:
        fail(fn, "qw.perm", "an act-order permutation",
             "must be None: this format has no act-order")
    if qw.scales.dtype not in scale_dtypes:
        fail(fn, "qw.scales", qw.scales.dtype,
             f"must have dtype in ({', '.join(map(str, scale_dtypes))}) for this format")
