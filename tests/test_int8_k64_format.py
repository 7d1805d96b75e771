"""int8_k64 (include/qgemm/layout/int8_k64.hpp): the C++ CuTe packer against the formula of
its header and the independent torch reference."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm import kernel_format as kf
from qgemm.reference import kernel_formats as ref

needs_ext = pytest.mark.skipif(
    kf._ext._C is None, reason="C++ extension not built (no CUDA headers at build time)")


def _codes(seed: int, n: int, k: int, signed: bool = True) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    lo, hi, dtype = (-127, 127, torch.int8) if signed else (0, 255, torch.uint8)
    return torch.randint(lo, hi + 1, (n, k), generator=g, dtype=torch.int64).to(dtype)


def _formula_elements() -> list[int]:
    """Row-major index n * 64 + k of the element each of a block's 4096 bytes holds:
    byte 1024q + 512(j // 2) + 16t + 8(j % 2) + 4rk + 2rm + e holds W[n, k] with
    n = 16q + 8rm + t // 4, k = 16j + 8rk + 2(t % 4) + e."""
    held = [None] * 4096
    for q in range(4):
        for t in range(32):
            for j in range(4):
                for rk in range(2):
                    for rm in range(2):
                        for e in range(2):
                            byte = 1024 * q + 512 * (j // 2) + 16 * t + 8 * (j % 2) + 4 * rk + 2 * rm + e
                            n = 16 * q + 8 * rm + t // 4
                            k = 16 * j + 8 * rk + 2 * (t % 4) + e
                            held[byte] = n * 64 + k
    return held


def _which_element(pack, n: int, k: int) -> torch.Tensor:
    """For each stored byte, the row-major index n * K + k of the element it holds (packs
    the element index byte digit by byte digit)."""
    index = torch.arange(n * k, dtype=torch.int64).reshape(n, k)
    held = torch.zeros(n * k, dtype=torch.int64)
    for d in range(((n * k - 1).bit_length() + 7) // 8):
        digit = ((index >> (8 * d)) & 0xFF).to(torch.uint8)
        held |= pack(digit).reshape(-1).to(torch.int64) << (8 * d)
    return held


@needs_ext
def test_block_matches_formula_for_all_4096_bytes():
    assert torch.equal(_which_element(kf.pack_int8_k64, 64, 64), torch.tensor(_formula_elements()))


@needs_ext
@pytest.mark.parametrize("pack", [kf.pack_int8_k64, ref.pack_int8_k64], ids=["cpp", "torch"])
@pytest.mark.parametrize("n,k", [(64, 64), (192, 128)])
def test_every_element_written_once(pack, n, k):
    held = _which_element(pack, n, k)
    assert torch.equal(torch.sort(held).values, torch.arange(n * k))


@needs_ext
def test_blocks_are_k_major_4kib():
    n, k = 128, 192
    codes = _codes(5, n, k)
    packed = kf.pack_int8_k64(codes)
    assert packed.shape == (3, 2, 4096)
    for kt in range(3):
        for nt in range(2):
            block = codes[64 * nt:64 * nt + 64, 64 * kt:64 * kt + 64].contiguous()
            assert torch.equal(packed[kt, nt], kf.pack_int8_k64(block)[0, 0])


@needs_ext
def test_first_thread_words_by_hand():
    # Thread 0 (q = 0, t = 0), step j = 0: word rk holds bytes (e, rm) = W[8 rm, 8 rk + e];
    # step 2 sits 512 bytes on. int8 stored q + 128.
    codes = torch.zeros(64, 64, dtype=torch.int8)
    expect = [0, 0]
    for rk in range(2):
        for rm in range(2):
            for e in range(2):
                v = 10 * rk + 3 * rm + e - 7
                codes[8 * rm, 8 * rk + e] = v
                codes[8 * rm, 32 + 8 * rk + e] = -v  # step j = 2
                expect[0] |= (v + 128) << (8 * (4 * rk + 2 * rm + e))
                expect[1] |= (-v + 128) << (8 * (4 * rk + 2 * rm + e))
    block = kf.pack_int8_k64(codes)[0, 0]
    assert int.from_bytes(bytes(block[:8].tolist()), "little") == expect[0]
    assert int.from_bytes(bytes(block[512:520].tolist()), "little") == expect[1]


@needs_ext
@given(nt=st.integers(1, 4), kt=st.integers(1, 4), signed=st.booleans(), seed=st.integers(0, 2**16))
@example(nt=1, kt=1, signed=True, seed=0)
@example(nt=3, kt=2, signed=False, seed=1)
def test_matches_reference_and_roundtrips(nt, kt, signed, seed):
    n, k = 64 * nt, 64 * kt
    codes = _codes(seed, n, k, signed)
    packed = kf.pack_int8_k64(codes)
    assert packed.shape == (kt, nt, 4096) and packed.dtype == torch.uint8
    assert torch.equal(packed, ref.pack_int8_k64(codes))
    assert torch.equal(kf.unpack_int8_k64(packed, n, k, signed), codes)
    assert torch.equal(ref.unpack_int8_k64(packed, n, k, signed), codes)


@needs_ext
def test_same_codes_as_int8_fragment():
    codes = _codes(9, 128, 128)
    frag = kf.unpack_int8_fragment(kf.pack_int8_fragment(codes), 128, 128, True)
    k64 = kf.unpack_int8_k64(kf.pack_int8_k64(codes), 128, 128, True)
    assert torch.equal(frag, k64) and torch.equal(k64, codes)


@needs_ext
def test_selectable_by_name():
    pack, unpack = kf.TILED_FORMATS["int8_k64"]
    codes = _codes(3, 64, 128, signed=False)
    assert torch.equal(unpack(pack(codes), 64, 128, False), codes)


@pytest.mark.parametrize("n,k", [(64, 16), (64, 96), (32, 64), (63, 64)])
def test_refuses_off_alignment(n, k):
    with pytest.raises(ValueError, match="multiple of 64"):
        kf.pack_int8_k64(torch.zeros(n, k, dtype=torch.int8))


def test_refuses_bad_inputs_by_name():
    with pytest.raises(ValueError, match=r"pack_int8_k64: codes.*dtype"):
        kf.pack_int8_k64(torch.zeros(64, 64, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"pack_int8_k64: codes.*\[-127, 127\]"):
        kf.pack_int8_k64(torch.full((64, 64), -128, dtype=torch.int8))
    with pytest.raises(ValueError, match=r"unpack_int8_k64: packed.*shape"):
        kf.unpack_int8_k64(torch.zeros(1, 1, 2048, dtype=torch.uint8), 64, 64, True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_repack_writes_the_host_packers_bytes():
    codes = _codes(11, 320, 384)
    assert torch.equal(kf.pack_int8_k64(codes.cuda()).cpu(), kf.pack_int8_k64(codes))
