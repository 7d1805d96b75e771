"""Argument checks shared by every public entry.

Every failure raises ValueError naming the function, the argument, the value seen and
the rule it breaks, and is raised before anything is computed.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

import torch


def fail(fn: str, arg: str, value, rule: str) -> None:
    raise ValueError(f"qgemm.{fn}: {arg} {rule}, got {value}")


def check_tensor(
    fn: str,
    arg: str,
    t,
    *,
    dtypes: Optional[Iterable[torch.dtype]] = None,
    ndim: Optional[int] = None,
    shape: Optional[Sequence[Optional[int]]] = None,
    contiguous: bool = True,
    device: Optional[torch.device] = None,
) -> torch.Tensor:
    """Validate one tensor argument; returns it unchanged.

    shape entries of None are free. contiguous=True refuses strided views rather than
    copying them: a silent copy of a scale tensor hides a caller's layout bug.
    """
    if not isinstance(t, torch.Tensor):
        fail(fn, arg, type(t).__name__, "must be a torch.Tensor")
    if dtypes is not None:
        dtypes = tuple(dtypes)
        if t.dtype not in dtypes:
            names = ", ".join(str(d) for d in dtypes)
            fail(fn, arg, t.dtype, f"must have dtype in ({names})")
    if ndim is not None and t.dim() != ndim:
        fail(fn, arg, f"shape {tuple(t.shape)}", f"must be {ndim}-D")
    if shape is not None:
        if t.dim() != len(shape) or any(s is not None and s != d for s, d in zip(shape, t.shape)):
            want = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
            fail(fn, arg, f"shape {tuple(t.shape)}", f"must have shape {want}")
    if contiguous and not t.is_contiguous():
        fail(fn, arg, f"strides {t.stride()}", "must be contiguous")
    if device is not None and t.device != torch.device(device):
        fail(fn, arg, t.device, f"must be on {device}")
    return t


def check_multiple(fn: str, arg: str, value: int, multiple: int) -> None:
    if value % multiple != 0:
        fail(fn, arg, value, f"must be a multiple of {multiple}")


def check_choice(fn: str, arg: str, value, choices: Iterable) -> None:
    choices = tuple(choices)
    if value not in choices:
        fail(fn, arg, repr(value), f"must be one of {choices}")
