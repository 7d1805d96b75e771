"""HQQ checkpoints (4-bit, axis=1) <-> QuantizedWeight.

HQQ quantizes W [N, K] viewed as [N*K/g, g] (one group per row: axis=1 reduces
along it, so groups run along K) and keeps per row a float scale and a float zero
point, [N*K/g, 1] each: w = (q - zero) * scale. That is uint4 with float zeros.

W_q is BitPack.pack_4bit_u8 of the [N*K/g, g] codes: with h = N*K/(2g),
    W_q = (codes[:h] << 4) | codes[h:]
the first half of the rows in the high nibbles, the second half in the low ones.

meta is HQQ's dict. Read: 'shape' (N, K), 'group_size' (None means per-channel, K),
'axis' (must be 1), 'nbits' (must be 4), 'scale', 'zero', and 'packing' (optional,
must be "4bit_u8"). Other keys are ignored and not written back; export writes
'group_size' as an int, K for per-channel.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from .._validate import check_tensor, fail
from ..quantized import SCALE_DTYPES, QuantizedWeight
from ..schemes import resolve_group_size
from ._checks import check_exportable
from ._nibbles import pack_u8_pairs, unpack_u8_pairs

HQQ_PACKING = "4bit_u8"
_REQUIRED = ("shape", "group_size", "axis", "nbits", "scale", "zero")


def import_hqq(W_q: torch.Tensor, meta: Mapping) -> QuantizedWeight:
    """A uint4 QuantizedWeight with float zeros from an HQQ 4-bit layer, on W_q's device."""
    fn = "import_hqq"
    if not isinstance(meta, Mapping):
        fail(fn, "meta", type(meta).__name__, "must be HQQ's meta dict")
    for key in _REQUIRED:
        if key not in meta:
            fail(fn, "meta", f"keys {sorted(map(str, meta))}", f"must have the key {key!r}")
    if meta["axis"] != 1:
        fail(fn, "meta['axis']", repr(meta["axis"]),
             "must be 1 (groups along K). With axis=0 HQQ views W as [group_size, -1] "
             "and each group is a column of that view: elements N*K/group_size apart "
             "in W, spread across output channels, which are not groups along K")
    if meta["nbits"] != 4:
        fail(fn, "meta['nbits']", repr(meta["nbits"]), "must be 4 (only 4-bit HQQ is supported)")
    if meta.get("packing", HQQ_PACKING) != HQQ_PACKING:
        fail(fn, "meta['packing']", repr(meta["packing"]), f"must be {HQQ_PACKING!r}")
    shape = meta["shape"]
    if (not isinstance(shape, (tuple, list, torch.Size)) or len(shape) != 2
            or not all(isinstance(d, int) and d > 0 for d in shape)):
        fail(fn, "meta['shape']", repr(shape), "must be (N, K), two positive ints")
    n, k = (int(d) for d in shape)
    group_size = meta["group_size"]
    g = resolve_group_size(fn, "meta['group_size']", k if group_size is None else group_size, k)
    rows = n * k // g
    if rows % 2 != 0:
        fail(fn, "meta['shape']", tuple(shape),
             f"must give an even number of groups N*K/group_size (got {rows}): "
             "4-bit BitPack splits the groups in halves")

    check_tensor(fn, "W_q", W_q, dtypes=(torch.uint8,), shape=(rows // 2, g))
    device = W_q.device
    scale, zero = meta["scale"], meta["zero"]
    check_tensor(fn, "meta['scale']", scale, dtypes=SCALE_DTYPES, shape=(rows, 1), device=device)
    check_tensor(fn, "meta['zero']", zero, dtypes=(scale.dtype,), shape=(rows, 1), device=device)

    low, high = unpack_u8_pairs(W_q)
    codes = torch.cat([high, low], dim=0)  # [N*K/g, g]: high nibbles are the first half
    return QuantizedWeight(
        scheme="uint4",
        group_size=g,
        qdata=codes.reshape(n, k),
        scales=scale.reshape(n, k // g).clone(),
        zeros=zero.reshape(n, k // g).clone(),
    )


def export_hqq(qw: QuantizedWeight) -> tuple[torch.Tensor, dict]:
    """(W_q, meta) for HQQ: qw must be uint4 with float zeros, no act-order, and an
    even number of groups N*K/g."""
    fn = "export_hqq"
    check_exportable(fn, qw, schemes=("uint4",), zeros="float", allow_perm=False,
                     scale_dtypes=SCALE_DTYPES)
    n, k = qw.shape
    g = qw.group_size
    rows = n * k // g
    if rows % 2 != 0:
        fail(fn, "qw", f"N*K/group_size = {rows} groups",
             "must have an even number of groups: 4-bit BitPack splits them in halves")

    codes = qw.qdata.reshape(rows, g)
    W_q = pack_u8_pairs(low=codes[rows // 2:], high=codes[: rows // 2])
    meta = {
        "shape": torch.Size([n, k]),
        "group_size": g,
        "axis": 1,
        "nbits": 4,
        "packing": HQQ_PACKING,
        "scale": qw.scales.reshape(rows, 1).clone(),
        "zero": qw.zeros.reshape(rows, 1).clone(),
    }
    return W_q, meta
