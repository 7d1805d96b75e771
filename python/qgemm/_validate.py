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


PER_TENSOR_SHAPES = ((), (1,), (1, 1))


def check_broadcast_vector(fn: str, arg: str, t, device, per_element_shape: tuple, dtype) -> None:
    """A scale or zero point: `dtype`, on `device`, contiguous, with a per-tensor shape
    ([], [1], [1, 1]) or `per_element_shape` (per token [M, 1], per channel [1, N])."""
    check_tensor(fn, arg, t, dtypes=(dtype,), device=device)
    shape = tuple(t.shape)
    if shape not in PER_TENSOR_SHAPES + (per_element_shape,):
        allowed = ", ".join(str(list(s)) for s in PER_TENSOR_SHAPES + (per_element_shape,))
        fail(fn, arg, f"shape {shape}", f"must have one of the shapes {allowed}")


def check_operand_pair(fn: str, a_q, b_q, dtypes) -> tuple[int, int, int]:
    """a_q [M, K] and b_q [N, K] of one dtype in `dtypes`, contiguous, on one device,
    K >= 1 and N >= 1 (M may be 0). Returns (M, N, K)."""
    check_tensor(fn, "a_q", a_q, dtypes=dtypes, ndim=2)
    check_tensor(fn, "b_q", b_q, dtypes=(a_q.dtype,), ndim=2, device=a_q.device)
    m, k = a_q.shape
    n = b_q.shape[0]
    if k == 0:
        fail(fn, "a_q", f"shape {tuple(a_q.shape)}", "must have K >= 1")
    if n == 0:
        fail(fn, "b_q", f"shape {tuple(b_q.shape)}", "must have N >= 1")
    if b_q.shape[1] != k:
        fail(fn, "b_q", f"shape {tuple(b_q.shape)}", f"must be [N, K] with K = {k} (a_q's K)")
    return m, n, k
