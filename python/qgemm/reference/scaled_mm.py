"""Reference W8A8 matrix product: int8 x int8 or fp8_e4m3 x fp8_e4m3 codes, scaled
per tensor, per token (rows of A) and per channel (rows of B), with an optional
activation zero point and bias.

Plain torch, any device. B is given as [N, K], like nn.Linear.weight, so

    acc[m, n] = sum_k a_q[m, k] * b_q[n, k]                   (= a_q @ b_q.T)
    acc      -= azp[m] * colsum[n],  colsum[n] = sum_k b_q[n, k]   (int8 with azp only)
    out       = a_scale[m] * (b_scale[n] * float32(acc)) + bias[n]   in float32
    return out.to(out_dtype)

which is what the kernels' epilogue computes (vLLM's ScaledEpilogue order: B's scale,
then A's scale, then the bias). With a zero point azp the real activation is
(a_q - azp) * a_scale; the correction term turns a_q @ b_q.T into (a_q - azp) @ b_q.T
without touching the int8 operand, so the kernel keeps its plain int8 mainloop.

The accumulation runs in float64 on every device (torch has no integer matmul on
CUDA):
- int8: every product is an integer of magnitude <= 128 * 128 and every partial
  sum stays far below 2^53 (K up to 5e11), so float64 sums them exactly, in any
  order: acc is the exact integer, the same as an int32 accumulator gives while it
  does not overflow (|acc| < 2^31, guaranteed for K <= 2^31 / 2^14 = 131072).
- fp8: every product of two float8_e4m3fn values is exact in float64; the sum is
  rounded there (relative error ~K * 2^-53), so acc is the exact dot product
  rounded to float32, a better reference than any float32 accumulation order.
float32(acc) rounds an int8 acc past 2^24 exactly as the kernel's int32 -> float32
conversion does.

Scale shapes (float32, contiguous), each of these and no other:
    a_scale  per tensor: [], [1] or [1, 1]     per token:   [M, 1]
    b_scale  per tensor: [], [1] or [1, 1]     per channel: [1, N]
A per-channel b_scale of shape [N] or [N, 1] (as some checkpoints store it) is
refused rather than guessed at: reshape it to [1, N]. (With M = 1 or N = 1 a shape
may read both ways; the meaning is then the same.)
azp: int32, per tensor [], [1] or [1, 1], or per token [M, 1]; int8 only.
b_colsum: int32 [1, N], optional with azp (computed from b_q when absent); it must
equal b_q.sum(dim=1), which is checked, so that a stale one fails here.
bias: [N] in out_dtype.
"""
from __future__ import annotations

import torch

from .._validate import check_broadcast_vector, check_choice, check_operand_pair, check_tensor, fail

CODE_DTYPES = (torch.int8, torch.float8_e4m3fn)
OUT_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def scaled_mm(
    a_q: torch.Tensor,
    b_q: torch.Tensor,
    a_scale: torch.Tensor,
    b_scale: torch.Tensor,
    out_dtype: torch.dtype,
    bias: torch.Tensor | None = None,
    azp: torch.Tensor | None = None,
    b_colsum: torch.Tensor | None = None,
) -> torch.Tensor:
    """out [M, N] = a_scale * b_scale * (a_q @ b_q.T - azp * colsum(b_q)) + bias.

    a_q [M, K] and b_q [N, K]: both int8 or both float8_e4m3fn, contiguous, on one
    device. M may be 0; K and N may not. Shapes of the scales, azp, b_colsum and bias
    are in the module docstring. Returns out_dtype (float16, bfloat16 or float32).
    """
    fn = "scaled_mm"
    m, n, k = check_operand_pair(fn, a_q, b_q, CODE_DTYPES)
    dev = a_q.device
    check_broadcast_vector(fn, "a_scale", a_scale, dev, (m, 1), torch.float32)
    check_broadcast_vector(fn, "b_scale", b_scale, dev, (1, n), torch.float32)
    check_choice(fn, "out_dtype", out_dtype, OUT_DTYPES)
    if bias is not None:
        check_tensor(fn, "bias", bias, dtypes=(out_dtype,), shape=(n,), device=dev)

    is_int8 = a_q.dtype == torch.int8
    if azp is None and b_colsum is not None:
        fail(fn, "b_colsum", "a tensor", "must be None when azp is None")
    if azp is not None:
        if not is_int8:
            fail(fn, "azp", "a tensor", "must be None for float8_e4m3fn operands")
        check_broadcast_vector(fn, "azp", azp, dev, (m, 1), torch.int32)
    if b_colsum is not None:
        check_tensor(fn, "b_colsum", b_colsum, dtypes=(torch.int32,), shape=(1, n), device=dev)
        if not torch.equal(b_colsum.long(), _colsum(b_q)):
            fail(fn, "b_colsum", "values differing from b_q's",
                 "must equal b_q.sum(dim=1) as [1, N]")

    for arg, t in (("a_scale", a_scale), ("b_scale", b_scale), ("bias", bias)):
        if t is not None and not bool(torch.isfinite(t).all()):
            fail(fn, arg, "inf or NaN entries", "must be finite")

    # Exact (int8) or once-rounded (fp8) dot products; see the module docstring.
    acc = a_q.double() @ b_q.double().T
    if azp is not None:
        colsum = _colsum(b_q) if b_colsum is None else b_colsum.long()
        acc = acc - azp.double() * colsum.double()      # integers < 2^53: exact
    out = a_scale * (b_scale * acc.float())
    if bias is not None:
        out = out + bias.float()
    return out.to(out_dtype)


def _colsum(b_q: torch.Tensor) -> torch.Tensor:
    """sum_k b_q[n, k] as int64 [1, N]."""
    return b_q.long().sum(dim=1).view(1, -1)
