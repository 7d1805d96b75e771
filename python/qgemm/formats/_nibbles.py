"""4-bit packing shared by the checkpoint formats: 8 nibbles per int32, 2 per uint8.

All vectorized torch bit operations, on any device. Values to pack must lie in
[0, 15]; the callers guarantee it (they pack codes and zeros of valid weights).
"""
from __future__ import annotations

from typing import Sequence

import torch

SEQUENTIAL = (0, 1, 2, 3, 4, 5, 6, 7)


def _shifts(device) -> torch.Tensor:
    return torch.arange(0, 32, 4, dtype=torch.int32, device=device)


def pack_int32(values: torch.Tensor, dim: int, order: Sequence[int] = SEQUENTIAL) -> torch.Tensor:
    """Pack each run of 8 values along `dim` into one int32 word.

    Nibble i of a word (bits 4i .. 4i+3) holds element order[i] of its run of 8, so
    `dim` shrinks 8-fold. Returns a contiguous int32 tensor; bit 31 set makes the
    word negative, as in the checkpoints.
    """
    moved = values.movedim(dim, -1)
    runs = moved.reshape(*moved.shape[:-1], moved.shape[-1] // 8, 8)
    runs = runs[..., list(order)].to(torch.int64)
    # The nibbles are disjoint, so summing the shifted values ORs them. The sum is
    # an unsigned 32-bit word held in int64; fold it into int32's signed range.
    words = (runs << _shifts(values.device).to(torch.int64)).sum(dim=-1)
    words = words - ((words >> 31) << 32)
    return words.to(torch.int32).movedim(-1, dim).contiguous()


def unpack_int32(words: torch.Tensor, dim: int, order: Sequence[int] = SEQUENTIAL) -> torch.Tensor:
    """Inverse of pack_int32: uint8 values in [0, 15], `dim` growing 8-fold.

    Works on the words' little-endian bytes (byte j holds nibbles 2j and 2j + 1), so
    every intermediate is one byte per code: repacking whole models on the GPU is
    bound by these passes.
    """
    moved = words.movedim(dim, -1).contiguous()
    as_bytes = moved.view(torch.uint8)  # [..., W * 4]
    nibbles = torch.stack((as_bytes & 0xF, as_bytes >> 4), dim=-1)  # [..., W * 4, 2]
    nibbles = nibbles.reshape(*moved.shape, 8)  # [..., W, 8]: nibble i of each word
    # Element j of a run sits in the nibble i with order[i] == j.
    where = [list(order).index(j) for j in range(8)]
    runs = nibbles if where == list(range(8)) else nibbles[..., where]
    values = runs.reshape(*moved.shape[:-1], moved.shape[-1] * 8)
    return values.movedim(-1, dim).contiguous()


def pack_u8_pairs(low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """One uint8 per pair: low in bits 0..3, high in bits 4..7."""
    return (low.to(torch.uint8) | (high.to(torch.uint8) << 4)).contiguous()


def unpack_u8_pairs(packed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of pack_u8_pairs: (low, high) uint8 nibbles."""
    return packed & 0xF, packed >> 4
