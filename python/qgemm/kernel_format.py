"""Kernel weight formats, packed by the C++ layout code (include/qgemm/layout/).

CPU tensors are packed on the host, CUDA tensors by the GPU repack kernel; both run the
same CuTe layout functions. python/qgemm/reference/kernel_formats.py is an independent
pure-torch definition of the same bytes, used to test these.

Formats (W is [N, K], codes one per element):
- int4_fragment: (k16 x n64) tiles of 512 bytes, shape [K/16, N/64, 512]; unsigned
  nibbles (int4 stored as q + 8, uint4 as q). Rule: N % 64 == 0, K % 16 == 0.
- int8_fragment: (k16 x n64) tiles of 1024 bytes, shape [K/16, N/64, 1024]; int8
  stored as q + 128. Rule: N % 64 == 0, K % 16 == 0.
- int4_k64: (n64 x k64) blocks of 2048 bytes, shape [K/64, N/64, 2048]; nibble
  ((32q + t) * 4 + j) * 8 + 4e + rm + 2rk of a block holds W[n, k] with
  n = 16q + 8rm + t // 4, k = 16j + 8rk + 2(t % 4) + e (the sm90 wgmma A fragment of
  warpgroup thread 32q + t, 16 bytes per thread). Unsigned nibbles as int4_fragment.
  Rule: N % 64 == 0, K % 64 == 0. Packed on the host or the GPU; read by the sm90a
  wgmma W4A16 kernel (ops.FORCE_PATH = "sm90").
- int8_k64: (n64 x k64) blocks of 4096 bytes, shape [K/64, N/64, 4096]; byte
  1024q + 512(j // 2) + 16t + 8(j % 2) + 4rk + 2rm + e of a block holds W[n, k] with
  n, k as int4_k64 (the same wgmma A fragment, 32 bytes per thread in two 16-byte
  halves). int8 stored as q + 128. Rule as int4_k64; read by the sm90a W8A16 kernel.
- tc_fpx: (n64 x k64) tiles, nbits * 512 bytes each, shape [K/64, N/64, nbits * 512];
  FPx code bits split into planes. Rule: N % 64 == 0, K % 64 == 0, nbits in {4, 5, 6}.
"""
from __future__ import annotations

import torch

from qgemm import _ext
from qgemm._validate import check_choice, check_multiple, check_tensor, fail

INT4_FRAGMENT, INT8_FRAGMENT, INT4_K64, INT8_K64 = 0, 1, 2, 3  # src/ops.hpp TiledFormat
_TILE = {INT4_FRAGMENT: (64, 16, 512), INT8_FRAGMENT: (64, 16, 1024), INT4_K64: (64, 64, 2048),
         INT8_K64: (64, 64, 4096)}
_INT4 = (INT4_FRAGMENT, INT4_K64)
_FPX_TILE = 64


def _xor_mask(fmt: int, codes_dtype: torch.dtype) -> int:
    # Signed codes become the unsigned form the kernels decode: q + 8 (int4), q + 128 (int8).
    if codes_dtype == torch.uint8:
        return 0
    return 0x8 if fmt in _INT4 else 0x80


def _check_codes(fn: str, codes, tile_n: int, tile_k: int, dtypes) -> tuple[int, int]:
    check_tensor(fn, "codes", codes, dtypes=dtypes, ndim=2)
    n, k = codes.shape
    check_multiple(fn, "N (codes.shape[0])", n, tile_n)
    check_multiple(fn, "K (codes.shape[1])", k, tile_k)
    return n, k


def _check_range(fn: str, codes: torch.Tensor, lo: int, hi: int) -> None:
    if codes.numel() and (codes.min().item() < lo or codes.max().item() > hi):
        fail(fn, "codes", f"range [{codes.min().item()}, {codes.max().item()}]",
             f"must lie in [{lo}, {hi}]")


def _pack_tiled(fn: str, fmt: int, codes: torch.Tensor) -> torch.Tensor:
    tile_n, tile_k, tile_bytes = _TILE[fmt]
    n, k = _check_codes(fn, codes, tile_n, tile_k, (torch.int8, torch.uint8))
    if fmt in _INT4:
        _check_range(fn, codes, -8, 7) if codes.dtype == torch.int8 else _check_range(fn, codes, 0, 15)
    elif codes.dtype == torch.int8:
        _check_range(fn, codes, -127, 127)
    out = torch.empty((k // tile_k, n // tile_n, tile_bytes), dtype=torch.uint8, device=codes.device)
    ext = _ext.extension()
    raw = codes.view(torch.uint8)
    if codes.is_cuda:
        _ext.require_cuda(fn)
        status = ext.pack_tiled_cuda(fmt, raw.data_ptr(), n, k, _xor_mask(fmt, codes.dtype),
                                     out.data_ptr(), _ext.current_stream())
        _ext.check_status(fn, status, "repack kernel")
    else:
        ext.pack_tiled_host(fmt, raw.data_ptr(), n, k, _xor_mask(fmt, codes.dtype), out.data_ptr())
    return out


def _unpack_tiled(fn: str, fmt: int, packed: torch.Tensor, n: int, k: int, signed: bool):
    tile_n, tile_k, tile_bytes = _TILE[fmt]
    check_multiple(fn, "n", n, tile_n)
    check_multiple(fn, "k", k, tile_k)
    check_tensor(fn, "packed", packed, dtypes=(torch.uint8,),
                 shape=(k // tile_k, n // tile_n, tile_bytes), device="cpu")
    codes = torch.empty((n, k), dtype=torch.int8 if signed else torch.uint8)
    xor = _xor_mask(fmt, codes.dtype)
    _ext.extension().unpack_tiled_host(fmt, packed.data_ptr(), n, k, xor, signed, codes.data_ptr())
    return codes


def pack_int4_fragment(codes: torch.Tensor) -> torch.Tensor:
    """codes [N, K]: int8 in [-8, 7] (int4) or uint8 in [0, 15] (uint4)."""
    return _pack_tiled("pack_int4_fragment", INT4_FRAGMENT, codes)


def unpack_int4_fragment(packed: torch.Tensor, n: int, k: int, signed: bool) -> torch.Tensor:
    return _unpack_tiled("unpack_int4_fragment", INT4_FRAGMENT, packed, n, k, signed)


def pack_int4_k64(codes: torch.Tensor) -> torch.Tensor:
    """codes [N, K]: int8 in [-8, 7] (int4) or uint8 in [0, 15] (uint4)."""
    return _pack_tiled("pack_int4_k64", INT4_K64, codes)


def unpack_int4_k64(packed: torch.Tensor, n: int, k: int, signed: bool) -> torch.Tensor:
    return _unpack_tiled("unpack_int4_k64", INT4_K64, packed, n, k, signed)


def pack_int8_k64(codes: torch.Tensor) -> torch.Tensor:
    """codes [N, K]: int8 in [-127, 127] (stored q + 128) or uint8 (stored as is)."""
    return _pack_tiled("pack_int8_k64", INT8_K64, codes)


def unpack_int8_k64(packed: torch.Tensor, n: int, k: int, signed: bool = True) -> torch.Tensor:
    return _unpack_tiled("unpack_int8_k64", INT8_K64, packed, n, k, signed)


def pack_int8_fragment(codes: torch.Tensor) -> torch.Tensor:
    """codes [N, K]: int8 in [-127, 127] (stored q + 128) or uint8 (stored as is)."""
    return _pack_tiled("pack_int8_fragment", INT8_FRAGMENT, codes)


def unpack_int8_fragment(packed: torch.Tensor, n: int, k: int, signed: bool = True) -> torch.Tensor:
    return _unpack_tiled("unpack_int8_fragment", INT8_FRAGMENT, packed, n, k, signed)


# The tiled formats by name, for callers that pick one: name -> (pack, unpack).
TILED_FORMATS = {
    "int4_fragment": (pack_int4_fragment, unpack_int4_fragment),
    "int8_fragment": (pack_int8_fragment, unpack_int8_fragment),
    "int4_k64": (pack_int4_k64, unpack_int4_k64),
    "int8_k64": (pack_int8_k64, unpack_int8_k64),
}


def tc_fpx_tile_bytes(nbits: int) -> int:
    return _FPX_TILE * _FPX_TILE * nbits // 8


def pack_tc_fpx(codes: torch.Tensor, nbits: int) -> torch.Tensor:
    """codes [N, K] uint8: FPx code bits (sign|exponent|mantissa), right-aligned."""
    fn = "pack_tc_fpx"
    check_choice(fn, "nbits", nbits, (4, 5, 6))
    n, k = _check_codes(fn, codes, _FPX_TILE, _FPX_TILE, (torch.uint8,))
    _check_range(fn, codes, 0, (1 << nbits) - 1)
    out = torch.empty((k // _FPX_TILE, n // _FPX_TILE, tc_fpx_tile_bytes(nbits)),
                      dtype=torch.uint8, device=codes.device)
    ext = _ext.extension()
    if codes.is_cuda:
        _ext.require_cuda(fn)
        status = ext.pack_tc_fpx_cuda(codes.data_ptr(), n, k, nbits, out.data_ptr(),
                                      _ext.current_stream())
        _ext.check_status(fn, status, "repack kernel")
    else:
        ext.pack_tc_fpx_host(codes.data_ptr(), n, k, nbits, out.data_ptr())
    return out


def unpack_tc_fpx(packed: torch.Tensor, n: int, k: int, nbits: int) -> torch.Tensor:
    fn = "unpack_tc_fpx"
    check_choice(fn, "nbits", nbits, (4, 5, 6))
    check_multiple(fn, "n", n, _FPX_TILE)
    check_multiple(fn, "k", k, _FPX_TILE)
    check_tensor(fn, "packed", packed, dtypes=(torch.uint8,),
                 shape=(k // _FPX_TILE, n // _FPX_TILE, tc_fpx_tile_bytes(nbits)), device="cpu")
    codes = torch.empty((n, k), dtype=torch.uint8)
    _ext.extension().unpack_tc_fpx_host(packed.data_ptr(), n, k, nbits, codes.data_ptr())
    return codes
