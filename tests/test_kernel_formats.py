"""Kernel weight formats: the C++ CuTe packers against the independent torch references."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from qgemm import kernel_format as kf
from qgemm.reference import kernel_formats as ref

pytestmark = pytest.mark.skipif(
    kf._ext._C is None, reason="C++ extension not built (no CUDA headers at build time)")


def _codes(seed: int, n: int, k: int, lo: int, hi: int, dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(lo, hi + 1, (n, k), generator=g, dtype=torch.int64).to(dtype)


tiles = st.integers(1, 4)


@given(nt=tiles, kt=st.integers(1, 6), signed=st.booleans(), seed=st.integers(0, 2**16))
@example(nt=1, kt=1, signed=True, seed=0)
def test_int4_fragment_matches_reference_and_roundtrips(nt, kt, signed, seed):
    n, k = 64 * nt, 16 * kt
    codes = _codes(seed, n, k, -8, 7, torch.int8) if signed else _codes(seed, n, k, 0, 15, torch.uint8)
    packed = kf.pack_int4_fragment(codes)
    assert packed.shape == (kt, nt, 512)
    assert torch.equal(packed, ref.pack_int4_fragment(codes))
    assert torch.equal(kf.unpack_int4_fragment(packed, n, k, signed), codes)


@given(nt=tiles, kt=st.integers(1, 6), signed=st.booleans(), seed=st.integers(0, 2**16))
def test_int8_fragment_matches_reference_and_roundtrips(nt, kt, signed, seed):
    n, k = 64 * nt, 16 * kt
    codes = _codes(seed, n, k, -127, 127, torch.int8) if signed else _codes(seed, n, k, 0, 255, torch.uint8)
    packed = kf.pack_int8_fragment(codes)
    assert packed.shape == (kt, nt, 1024)
    assert torch.equal(packed, ref.pack_int8_fragment(codes))
    assert torch.equal(kf.unpack_int8_fragment(packed, n, k, signed), codes)


@given(nt=st.integers(1, 3), kt=st.integers(1, 3), nbits=st.sampled_from([4, 5, 6]),
       seed=st.integers(0, 2**16))
def test_tc_fpx_matches_reference_and_roundtrips(nt, kt, nbits, seed):
    n, k = 64 * nt, 64 * kt
    codes = _codes(seed, n, k, 0, (1 << nbits) - 1, torch.uint8)
    packed = kf.pack_tc_fpx(codes, nbits)
    assert packed.shape == (kt, nt, 512 * nbits)
    assert torch.equal(packed, ref.pack_tc_fpx(codes, nbits))
    assert torch.equal(kf.unpack_tc_fpx(packed, n, k, nbits), codes)


def test_int4_fragment_first_lane_by_hand():
    # Lane 0 of tile 0 holds n in {0, 8} (word 0: n8-blocks 0 and 1), k in {0, 1, 8, 9}.
    # Nibble i: pair p = i % 4 (p = 2 sub + r), element e = i // 4.
    n, k = 64, 16
    codes = torch.zeros(n, k, dtype=torch.uint8)
    expect = 0
    for i in range(8):
        p, e = i % 4, i // 4
        sub, r = p // 2, p % 2
        value = i + 1
        codes[8 * sub, 8 * r + e] = value
        expect |= value << (4 * i)
    word0 = kf.pack_int4_fragment(codes)[0, 0, :4]
    assert int.from_bytes(bytes(word0.tolist()), "little") == expect


def test_tc_fpx_plane_sizes():
    codes = torch.full((64, 64), 0b111111, dtype=torch.uint8)
    packed = kf.pack_tc_fpx(codes, 6)[0, 0]
    assert packed.numel() == 3072
    assert torch.all(packed[:1024] == 0xFF) and torch.all(packed[1024:] == 0xFF)


@pytest.mark.parametrize("n,k", [(63, 16), (64, 8), (128, 24), (96, 16)])
def test_int_fragment_refuses_off_alignment(n, k):
    with pytest.raises(ValueError, match="multiple of"):
        kf.pack_int4_fragment(torch.zeros(n, k, dtype=torch.int8))
    with pytest.raises(ValueError, match="multiple of"):
        kf.pack_int8_fragment(torch.zeros(n, k, dtype=torch.int8))


@pytest.mark.parametrize("n,k", [(64, 32), (32, 64), (64, 96)])
def test_tc_fpx_refuses_off_alignment(n, k):
    with pytest.raises(ValueError, match="multiple of 64"):
        kf.pack_tc_fpx(torch.zeros(n, k, dtype=torch.uint8), 6)


def test_refuses_bad_inputs_by_name():
    with pytest.raises(ValueError, match="codes.*dtype"):
        kf.pack_int4_fragment(torch.zeros(64, 16, dtype=torch.int32))
    with pytest.raises(ValueError, match="codes.*contiguous"):
        kf.pack_int4_fragment(torch.zeros(16, 64, dtype=torch.int8).t())
    with pytest.raises(ValueError, match=r"codes.*\[-8, 7\]"):
        kf.pack_int4_fragment(torch.full((64, 16), 9, dtype=torch.int8))
    with pytest.raises(ValueError, match=r"codes.*\[0, 15\]"):
        kf.pack_int4_fragment(torch.full((64, 16), 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"codes.*\[-127, 127\]"):
        kf.pack_int8_fragment(torch.full((64, 16), -128, dtype=torch.int8))
    with pytest.raises(ValueError, match="nbits"):
        kf.pack_tc_fpx(torch.zeros(64, 64, dtype=torch.uint8), 3)
    with pytest.raises(ValueError, match=r"codes.*\[0, 31\]"):
        kf.pack_tc_fpx(torch.full((64, 64), 32, dtype=torch.uint8), 5)
    with pytest.raises(ValueError, match="packed.*shape"):
        kf.unpack_int4_fragment(torch.zeros(1, 1, 511, dtype=torch.uint8), 64, 16, True)


@pytest.mark.gpu
@pytest.mark.parametrize("n,k", [(64, 16), (192, 4096), (4096, 128)])
def test_gpu_repack_matches_host(n, k):
    int4 = _codes(1, n, k, -8, 7, torch.int8)
    assert torch.equal(kf.pack_int4_fragment(int4.cuda()).cpu(), kf.pack_int4_fragment(int4))
    int8 = _codes(2, n, k, -127, 127, torch.int8)
    assert torch.equal(kf.pack_int8_fragment(int8.cuda()).cpu(), kf.pack_int8_fragment(int8))
    if k % 64 == 0:
        fp6 = _codes(3, n, k, 0, 63, torch.uint8)
        assert torch.equal(kf.pack_tc_fpx(fp6.cuda(), 6).cpu(), kf.pack_tc_fpx(fp6, 6))
