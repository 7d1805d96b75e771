"""int4_k64 (include/qgemm/layout/int4_k64.hpp): the C++ CuTe packer against the design
formula (docs/design/sm90_wna16.md, section 3) and the independent torch reference."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm import kernel_format as kf
from qgemm.reference import kernel_formats as ref

needs_ext = pytest.mark.skipif(
    kf._ext._C is None, reason="C++ extension not built (no CUDA headers at build time)")


def _codes(seed: int, n: int, k: int, signed: bool) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    lo, hi, dtype = (-8, 7, torch.int8) if signed else (0, 15, torch.uint8)
    return torch.randint(lo, hi + 1, (n, k), generator=g, dtype=torch.int64).to(dtype)


def _formula_offsets() -> list[int]:
    """Block offset n + 64 k held by each of a block's 4096 nibbles, straight from the
    formula: nibble ((32q + t) * 4 + j) * 8 + 4e + rm + 2rk holds W[n, k] with
    n = 16q + 8rm + t // 4, k = 16j + 8rk + 2(t % 4) + e."""
    held = [None] * 4096
    for q in range(4):
        for t in range(32):
            for j in range(4):
                for e in range(2):
                    for rm in range(2):
                        for rk in range(2):
                            nibble = ((32 * q + t) * 4 + j) * 8 + 4 * e + rm + 2 * rk
                            n = 16 * q + 8 * rm + t // 4
                            k = 16 * j + 8 * rk + 2 * (t % 4) + e
                            held[nibble] = n + 64 * k
    return held


def _nibbles(packed: torch.Tensor) -> torch.Tensor:
    """uint8 bytes -> nibbles in storage order (little-endian: low nibble first)."""
    b = packed.reshape(-1).to(torch.int64)
    return torch.stack([b & 0xF, b >> 4], dim=1).reshape(-1)


def _which_element(pack, n: int, k: int) -> torch.Tensor:
    """For each stored nibble, the row-major index n * K + k of the element it holds:
    packs the element index base-16 digit by digit (one pack per digit)."""
    index = torch.arange(n * k, dtype=torch.int64).reshape(n, k)
    held = torch.zeros(n * k, dtype=torch.int64)
    for d in range(((n * k - 1).bit_length() + 3) // 4):
        held |= _nibbles(pack(((index >> (4 * d)) & 0xF).to(torch.uint8))) << (4 * d)
    return held


@needs_ext
def test_block_matches_formula_for_all_4096_nibbles():
    held = _which_element(kf.pack_int4_k64, 64, 64)  # row-major n * 64 + k
    want = torch.tensor([(o % 64) * 64 + o // 64 for o in _formula_offsets()])
    assert torch.equal(held, want)


@needs_ext
@pytest.mark.parametrize("pack", [kf.pack_int4_k64, ref.pack_int4_k64], ids=["cpp", "torch"])
@pytest.mark.parametrize("n,k", [(64, 64), (192, 128)])
def test_every_element_written_once(pack, n, k):
    held = _which_element(pack, n, k)
    assert torch.equal(torch.sort(held).values, torch.arange(n * k))


@needs_ext
def test_blocks_are_k_major_2kib():
    # Block (kt, nt) = packed[kt, nt] holds W[64 nt : 64 nt + 64, 64 kt : 64 kt + 64].
    n, k = 128, 192
    codes = _codes(5, n, k, signed=False)
    packed = kf.pack_int4_k64(codes)
    assert packed.shape == (3, 2, 2048)
    for kt in range(3):
        for nt in range(2):
            block = codes[64 * nt:64 * nt + 64, 64 * kt:64 * kt + 64].contiguous()
            assert torch.equal(packed[kt, nt], kf.pack_int4_k64(block)[0, 0])


@needs_ext
def test_first_thread_word_by_hand():
    # Thread 0, word j = 0: nibble 4e + rm + 2rk holds W[8 rm, 8 rk + e]; int4 stored q + 8.
    codes = torch.zeros(64, 64, dtype=torch.int8)
    expect = 0
    for i in range(8):
        e, rm, rk = i // 4, i % 2, (i % 4) // 2
        q = i - 4  # -4 .. 3
        codes[8 * rm, 8 * rk + e] = q
        expect |= (q + 8) << (4 * i)
    word0 = kf.pack_int4_k64(codes)[0, 0, :4]
    assert int.from_bytes(bytes(word0.tolist()), "little") == expect


@needs_ext
@given(nt=st.integers(1, 4), kt=st.integers(1, 4), signed=st.booleans(), seed=st.integers(0, 2**16))
@example(nt=1, kt=1, signed=True, seed=0)
@example(nt=3, kt=2, signed=False, seed=1)
def test_matches_reference_and_roundtrips(nt, kt, signed, seed):
    n, k = 64 * nt, 64 * kt
    codes = _codes(seed, n, k, signed)
    packed = kf.pack_int4_k64(codes)
    assert packed.shape == (kt, nt, 2048) and packed.dtype == torch.uint8
    assert torch.equal(packed, ref.pack_int4_k64(codes))
    assert torch.equal(kf.unpack_int4_k64(packed, n, k, signed), codes)
    assert torch.equal(ref.unpack_int4_k64(packed, n, k, signed), codes)


@needs_ext
def test_same_codes_as_int4_fragment():
    # Both formats store int4 as q + 8 and uint4 as is: unpacking either gives the codes.
    codes = _codes(9, 128, 128, signed=True)
    frag = kf.unpack_int4_fragment(kf.pack_int4_fragment(codes), 128, 128, True)
    k64 = kf.unpack_int4_k64(kf.pack_int4_k64(codes), 128, 128, True)
    assert torch.equal(frag, k64)


@needs_ext
def test_selectable_by_name():
    pack, unpack = kf.TILED_FORMATS["int4_k64"]
    codes = _codes(3, 64, 128, signed=False)
    assert torch.equal(unpack(pack(codes), 64, 128, False), codes)


@pytest.mark.parametrize("n,k", [(64, 16), (64, 32), (64, 96), (32, 64), (96, 64), (63, 64)])
def test_refuses_off_alignment(n, k):
    with pytest.raises(ValueError, match="multiple of 64"):
        kf.pack_int4_k64(torch.zeros(n, k, dtype=torch.int8))
    with pytest.raises(ValueError, match="multiple of 64"):
        kf.unpack_int4_k64(torch.zeros(max(k // 64, 1), max(n // 64, 1), 2048, dtype=torch.uint8),
                           n, k, True)


def test_refuses_bad_inputs_by_name():
    with pytest.raises(ValueError, match=r"pack_int4_k64: codes.*dtype"):
        kf.pack_int4_k64(torch.zeros(64, 64, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"pack_int4_k64: codes.*contiguous"):
        kf.pack_int4_k64(torch.zeros(128, 64, dtype=torch.int8).t())
    with pytest.raises(ValueError, match=r"pack_int4_k64: codes.*\[-8, 7\]"):
        kf.pack_int4_k64(torch.full((64, 64), -9, dtype=torch.int8))
    with pytest.raises(ValueError, match=r"pack_int4_k64: codes.*\[0, 15\]"):
        kf.pack_int4_k64(torch.full((64, 64), 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"unpack_int4_k64: packed.*shape"):
        kf.unpack_int4_k64(torch.zeros(1, 1, 512, dtype=torch.uint8), 64, 64, True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_repack_writes_the_host_packers_bytes():
    codes = torch.randint(-8, 8, (192, 256), dtype=torch.int8, generator=torch.Generator().manual_seed(5))
    assert torch.equal(kf.pack_int4_k64(codes.cuda()).cpu(), kf.pack_int4_k64(codes))
