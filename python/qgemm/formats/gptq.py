"""GPTQ checkpoints (AutoGPTQ / GPTQModel, 4-bit) <-> QuantizedWeight.

    qweight  int32 [K/8, N]     8 codes along K per word: k = 8r + j at bits 4j of row r
    qzeros   int32 [K/g, N/8]   integer zero points packed along N: nibble j of word c
                                is column 8c + j
    scales   fp16/bf16 [K/g, N]
    g_idx    int32 [K]          group of each input channel (act-order), optional

Dequantization is (q - z) * s: scheme uint4 with integer zeros. Symmetric GPTQ
checkpoints store z = 8 and stay uint4.

Zero points, two conventions (checkpoint_format):
  "gptq"     legacy v1: the nibble holds (z - 1) mod 16 and the real zero is
             (stored + 1) mod 16. z = 0 therefore wraps: it is stored as 15 and read
             back as 0. (The original v1 CUDA kernels added 1 without the mod, so to
             them a stored 15 meant z = 16; qgemm's zeros are 4-bit, and it reads 0.)
  "gptq_v2"  the nibble holds z.

Act-order: when g_idx is not arange(K) // g, input channels were quantized out of
order and each group gathers channels from all over K. On import,
perm = stable_argsort(g_idx) and qdata = codes[:, perm], so groups become contiguous
runs of qdata columns (and perm ascends within each group); QuantizedWeight.perm
keeps the mapping. Export writes the codes back in input-channel order and
g_idx[perm[j]] = j // g.
"""
from __future__ import annotations

import torch

from .._validate import check_choice, check_tensor, fail
from ..quantized import QuantizedWeight
from ..schemes import resolve_group_size
from ._checks import check_divisible, check_exportable, check_nonempty
from ._nibbles import pack_int32, unpack_int32

GPTQ_FORMATS = ("gptq", "gptq_v2")
GPTQ_SCALE_DTYPES = (torch.float16, torch.bfloat16)


def gptq_parts(fn: str, qweight: torch.Tensor, qzeros: torch.Tensor, scales: torch.Tensor,
               group_size: int, g_idx: torch.Tensor | None, checkpoint_format: str):
    """Validate GPTQ tensors; return (K, N, group size, zeros [K/g, N] uint8 with the
    checkpoint's convention undone, perm or None). The codes stay packed."""
    check_choice(fn, "checkpoint_format", checkpoint_format, GPTQ_FORMATS)
    check_tensor(fn, "qweight", qweight, dtypes=(torch.int32,), ndim=2)
    check_nonempty(fn, "qweight", qweight)
    check_divisible(fn, "qweight", qweight, 1, 8, "qzeros packs 8 output channels per int32")
    k, n = qweight.shape[0] * 8, qweight.shape[1]
    g = resolve_group_size(fn, "group_size", group_size, k)
    groups = k // g
    device = qweight.device
    check_tensor(fn, "qzeros", qzeros, dtypes=(torch.int32,), shape=(groups, n // 8),
                 device=device)
    check_tensor(fn, "scales", scales, dtypes=GPTQ_SCALE_DTYPES, shape=(groups, n),
                 device=device)
    perm = None
    if g_idx is not None:
        check_tensor(fn, "g_idx", g_idx, dtypes=(torch.int32,), shape=(k,), device=device)
        perm = _perm_from_g_idx(fn, g_idx.long(), g)
    zeros = unpack_int32(qzeros, dim=1)  # [K/g, N]
    if checkpoint_format == "gptq":
        zeros = (zeros + 1) & 0xF
    return k, n, g, zeros, perm


def import_gptq(
    qweight: torch.Tensor,
    qzeros: torch.Tensor,
    scales: torch.Tensor,
    group_size: int,
    g_idx: torch.Tensor | None = None,
    *,
    checkpoint_format: str = "gptq",
) -> QuantizedWeight:
    """A uint4 QuantizedWeight (integer zeros, perm for act-order) from GPTQ tensors,
    on their device. group_size -1 means per-channel."""
    k, n, g, zeros, perm = gptq_parts("import_gptq", qweight, qzeros, scales, group_size, g_idx,
                                      checkpoint_format)
    codes = unpack_int32(qweight, dim=0).t()  # [N, K], input-channel order
    if perm is not None:
        codes = codes[:, perm]
    return QuantizedWeight(
        scheme="uint4",
        group_size=g,
        qdata=codes.contiguous(),
        scales=scales.t().contiguous(),
        zeros=zeros.t().contiguous(),
        perm=perm,
    )


def _perm_from_g_idx(fn: str, g_idx: torch.Tensor, group_size: int) -> torch.Tensor | None:
    """None when g_idx is the plain arange(K) // g, else the stable argsort of g_idx."""
    k = g_idx.numel()
    groups = k // group_size
    if bool(((g_idx < 0) | (g_idx >= groups)).any()):
        fail(fn, "g_idx", f"values in [{int(g_idx.min())}, {int(g_idx.max())}]",
             f"must lie in [0, K/group_size = {groups})")
    counts = torch.bincount(g_idx, minlength=groups)
    if not bool((counts == group_size).all()):
        fail(fn, "g_idx", f"group sizes {sorted(set(counts.tolist()))}",
             f"must put exactly group_size={group_size} channels in each group")
    identity = torch.arange(k, device=g_idx.device) // group_size
    if torch.equal(g_idx, identity):
        return None
    return torch.argsort(g_idx, stable=True)


def export_gptq(
    qw: QuantizedWeight, *, checkpoint_format: str = "gptq"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(qweight, qzeros, scales, g_idx) in GPTQ's layout; g_idx is arange(K) // g
    without act-order.

    qw must be uint4 with integer zeros, fp16/bf16 scales, N % 8 == 0 and K % 8 == 0.
    """
    fn = "export_gptq"
    check_choice(fn, "checkpoint_format", checkpoint_format, GPTQ_FORMATS)
    check_exportable(fn, qw, schemes=("uint4",), zeros="int", allow_perm=True,
                     scale_dtypes=GPTQ_SCALE_DTYPES)
    check_divisible(fn, "qw.qdata", qw.qdata, 0, 8, "qzeros packs 8 output channels per int32")
    check_divisible(fn, "qw.qdata", qw.qdata, 1, 8, "qweight packs 8 input channels per int32")

    k, g = qw.shape[1], qw.group_size
    device = qw.qdata.device
    group_of_column = (torch.arange(k, device=device) // g).to(torch.int32)
    codes, g_idx = qw.qdata, group_of_column
    if qw.perm is not None:
        # Column j holds input channel perm[j]: scatter both back to channel order.
        codes = torch.empty_like(qw.qdata)
        codes[:, qw.perm] = qw.qdata
        g_idx = torch.empty_like(group_of_column)
        g_idx[qw.perm] = group_of_column

    zeros = qw.zeros.t()
    if checkpoint_format == "gptq":
        zeros = (zeros - 1) & 0xF  # uint8 wraps: z = 0 is stored as 15
    qweight = pack_int32(codes.t(), dim=0)
    qzeros = pack_int32(zeros, dim=1)
    return qweight, qzeros, qw.scales.t().contiguous(), g_idx
