"""Pure-torch reference packers for the kernel weight formats.

Written from the format descriptions (python/qgemm/kernel_format.py and the headers in
include/qgemm/layout/), independently of the C++: each function computes, for every
element (n, k) of W, the byte and bit it lands in, by plain index arithmetic on the
mma.m16n8k16 fragment rules, and scatters the codes there. Slow and clear on purpose.

mma.m16n8k16 fragments, lane = 4 g + c (g = lane // 4, c = lane % 4):
- B operand (W as [N, K]): the lane holds n = g, k = 2c + e (register 0) and
  k = 2c + 8 + e (register 1), e in {0, 1} the element of the 2 x 16-bit register.
- A operand (W rows as M): the lane holds rows g (+ 8 for rm = 1) and k = 2c + e
  (+ 8 for rk = 1); registers a0..a3 are (rm, rk) = (0,0), (1,0), (0,1), (1,1).
- wgmma A operand (int4_k64, int8_k64): warpgroup thread 32 q + t holds rows 16 q + the mma.sync A
  rows of lane t, the same (rm, rk, e) register order, at each k16 step j.
"""
from __future__ import annotations

import torch


def _grid(n: int, k: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    nn_, kk = torch.meshgrid(torch.arange(n, device=device), torch.arange(k, device=device),
                             indexing="ij")
    return nn_.reshape(-1), kk.reshape(-1)


def _scatter_bits(num_words: int, word: torch.Tensor, shift: torch.Tensor,
                  value: torch.Tensor) -> torch.Tensor:
    """OR value << shift into 32-bit words (disjoint bit fields, so a sum is an OR)."""
    words = torch.zeros(num_words, dtype=torch.int64, device=value.device)
    words.index_add_(0, word, value.to(torch.int64) << shift)
    return words


def _words_to_bytes(words: torch.Tensor) -> torch.Tensor:
    """Little-endian bytes of 32-bit words."""
    shifts = torch.tensor([0, 8, 16, 24], device=words.device)
    return ((words[:, None] >> shifts) & 0xFF).to(torch.uint8).reshape(-1)


def _unsigned(codes: torch.Tensor, bias: int) -> torch.Tensor:
    c = codes.to(torch.int64).reshape(-1)
    return c + bias if codes.dtype == torch.int8 else c


def pack_int4_fragment(codes: torch.Tensor) -> torch.Tensor:
    """[N, K] int8 (int4, stored q + 8) or uint8 (uint4) -> uint8 [K/16, N/64, 512]."""
    n_total, k_total = codes.shape
    n, k = _grid(n_total, k_total, codes.device)
    tile = (k // 16) * (n_total // 64) + n // 64
    nl, kl = n % 64, k % 16
    g, block = nl % 8, nl // 8            # n8-block 0..7 of the tile
    word_in_lane, sub = block // 2, block % 2
    c, r, e = (kl % 8) // 2, kl // 8, kl % 2
    lane = 4 * g + c
    nibble = (2 * sub + r) + 4 * e        # pair p = 2 sub + r sits at nibbles (p, p + 4)
    word = tile * 128 + lane * 4 + word_in_lane
    words = _scatter_bits(n_total * k_total // 8, word, 4 * nibble, _unsigned(codes, 8))
    return _words_to_bytes(words).reshape(k_total // 16, n_total // 64, 512)


def pack_int8_fragment(codes: torch.Tensor) -> torch.Tensor:
    """[N, K] int8 (stored q + 128) or uint8 -> uint8 [K/16, N/64, 1024]."""
    n_total, k_total = codes.shape
    n, k = _grid(n_total, k_total, codes.device)
    tile = (k // 16) * (n_total // 64) + n // 64
    nl, kl = n % 64, k % 16
    g, block = nl % 8, nl // 8
    c, r, e = (kl % 8) // 2, kl // 8, kl % 2
    lane = 4 * g + c
    half, word_in_half = block // 4, block % 4
    byte = tile * 1024 + half * 512 + lane * 16 + word_in_half * 4 + (2 * r + e)
    out = torch.zeros(n_total * k_total, dtype=torch.uint8, device=codes.device)
    out[byte] = _unsigned(codes, 128).to(torch.uint8)
    return out.reshape(k_total // 16, n_total // 64, 1024)


def _int4_k64_nibble(n: torch.Tensor, k: torch.Tensor, n_total: int) -> torch.Tensor:
    """Global nibble index of W[n, k] in int4_k64 (docs/design/sm90_wna16.md, section 3):
    block (k // 64, n // 64), K-block-major, 4096 nibbles each; inside it nibble
    ((32 q + t) * 4 + j) * 8 + 4 e + rm + 2 rk holds n = 16 q + 8 rm + t // 4,
    k = 16 j + 8 rk + 2 (t % 4) + e (wgmma A: warp q, lane t, k16 step j)."""
    block = (k // 64) * (n_total // 64) + n // 64
    nl, kl = n % 64, k % 64
    q, rm, g = nl // 16, (nl % 16) // 8, nl % 8
    j, rk, c, e = kl // 16, (kl % 16) // 8, (kl % 8) // 2, kl % 2
    t = 4 * g + c
    return block * 4096 + ((32 * q + t) * 4 + j) * 8 + 4 * e + rm + 2 * rk


def pack_int4_k64(codes: torch.Tensor) -> torch.Tensor:
    """[N, K] int8 (int4, stored q + 8) or uint8 (uint4) -> uint8 [K/64, N/64, 2048]."""
    n_total, k_total = codes.shape
    n, k = _grid(n_total, k_total, codes.device)
    nibble = _int4_k64_nibble(n, k, n_total)
    words = _scatter_bits(n_total * k_total // 8, nibble // 8, 4 * (nibble % 8),
                          _unsigned(codes, 8))
    return _words_to_bytes(words).reshape(k_total // 64, n_total // 64, 2048)


def unpack_int4_k64(packed: torch.Tensor, n_total: int, k_total: int,
                    signed: bool) -> torch.Tensor:
    """uint8 [K/64, N/64, 2048] -> [N, K] int8 in [-8, 7] (signed) or uint8 in [0, 15]."""
    n, k = _grid(n_total, k_total, packed.device)
    nibble = _int4_k64_nibble(n, k, n_total)
    byte = packed.reshape(-1).to(torch.int64)[nibble // 2]
    u = (byte >> (4 * (nibble % 2))) & 0xF       # little-endian words: nibble 2b, 2b+1 in byte b
    codes = u - 8 if signed else u
    return codes.to(torch.int8 if signed else torch.uint8).reshape(n_total, k_total)


def _int8_k64_byte(n: torch.Tensor, k: torch.Tensor, n_total: int) -> torch.Tensor:
    """Global byte index of W[n, k] in int8_k64: block (k // 64, n // 64), K-block-major,
    4096 bytes each; inside it byte 1024 q + 512 (j // 2) + 16 t + 8 (j % 2) + 4 rk + 2 rm + e
    holds n = 16 q + 8 rm + t // 4, k = 16 j + 8 rk + 2 (t % 4) + e (wgmma A, as int4_k64)."""
    block = (k // 64) * (n_total // 64) + n // 64
    nl, kl = n % 64, k % 64
    q, rm, g = nl // 16, (nl % 16) // 8, nl % 8
    j, rk, c, e = kl // 16, (kl % 16) // 8, (kl % 8) // 2, kl % 2
    t = 4 * g + c
    return block * 4096 + 1024 * q + 512 * (j // 2) + 16 * t + 8 * (j % 2) + 4 * rk + 2 * rm + e


def pack_int8_k64(codes: torch.Tensor) -> torch.Tensor:
    """[N, K] int8 (stored q + 128) or uint8 -> uint8 [K/64, N/64, 4096]."""
    n_total, k_total = codes.shape
    n, k = _grid(n_total, k_total, codes.device)
    out = torch.zeros(n_total * k_total, dtype=torch.uint8, device=codes.device)
    out[_int8_k64_byte(n, k, n_total)] = _unsigned(codes, 128).to(torch.uint8)
    return out.reshape(k_total // 64, n_total // 64, 4096)


def unpack_int8_k64(packed: torch.Tensor, n_total: int, k_total: int,
                    signed: bool = True) -> torch.Tensor:
    """uint8 [K/64, N/64, 4096] -> [N, K] int8 (q, stored q + 128) or uint8."""
    n, k = _grid(n_total, k_total, packed.device)
    u = packed.reshape(-1).to(torch.int64)[_int8_k64_byte(n, k, n_total)]
    codes = u - 128 if signed else u
    return codes.to(torch.int8 if signed else torch.uint8).reshape(n_total, k_total)


def pack_tc_fpx(codes: torch.Tensor, nbits: int) -> torch.Tensor:
    """[N, K] uint8 FPx codes -> uint8 [K/64, N/64, nbits * 512] (bit planes)."""
    n_total, k_total = codes.shape
    n, k = _grid(n_total, k_total, codes.device)
    tiles_n = n_total // 64
    tile = (k // 64) * tiles_n + n // 64
    nl, kl = n % 64, k % 64
    mb, row = nl // 16, nl % 16           # 16-row block, row inside it
    g, rm = row % 8, row // 8
    kb, kk = kl // 16, kl % 16
    rk, c, e = kk // 8, (kk % 8) // 2, kk % 2
    lane = 4 * g + c
    byte_in_word = rm + 2 * e             # bytes (0, 2) -> register rm = 0, (1, 3) -> rm = 1
    byte_word = rk + 2 * mb + 8 * kb
    c64 = codes.to(torch.int64).reshape(-1)

    high_bits = nbits - 4
    tile_bytes = 64 * nbits * 8
    num_tiles = n_total * k_total // 4096
    out = torch.zeros(num_tiles, tile_bytes, dtype=torch.uint8, device=codes.device)

    def place(plane_offset: int, plane_bytes: int, per_word: int, width: int, part: torch.Tensor):
        # per_word byte words share one 32-bit word per lane; word j of the lane sits at
        # (j // 4) * 512 + 16 * lane + 4 * (j % 4) inside the plane.
        j = byte_word // per_word
        shift = 8 * byte_in_word + width * (byte_word % per_word)
        lane_words = plane_bytes // 4 // 32
        word_id = (tile * 32 + lane) * lane_words + j
        words = _scatter_bits(num_tiles * 32 * lane_words, word_id, shift, part)
        words = words.reshape(num_tiles, 32, lane_words)
        # to byte offsets inside the plane
        jj = torch.arange(lane_words, device=codes.device)
        ll = torch.arange(32, device=codes.device)
        offs = (jj[None, :] // 4) * 512 + 16 * ll[:, None] + 4 * (jj[None, :] % 4)  # [32, lane_words]
        plane = torch.zeros(num_tiles, plane_bytes, dtype=torch.uint8, device=codes.device)
        b = _words_to_bytes(words.reshape(-1)).reshape(num_tiles, 32, lane_words, 4)
        idx = (offs[:, :, None] + torch.arange(4, device=codes.device)).reshape(-1)
        plane[:, idx] = b.reshape(num_tiles, -1)
        out[:, plane_offset:plane_offset + plane_bytes] = plane

    high_plane_bytes = 64 * 64 * high_bits // 8
    if high_bits > 0:
        place(0, high_plane_bytes, 8 // high_bits, high_bits, c64 >> 4)
    place(high_plane_bytes, 2048, 2, 4, c64 & 0xF)
    return out.reshape(k_total // 64, tiles_n, tile_bytes)
