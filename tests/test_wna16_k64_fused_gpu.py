"""The sm80 mma.sync kernel ("fused" path) on the k64 formats (int4_k64 / int8_k64), any GPU.

The k64 tiling changes only how a warp reads its weights from shared memory: every n8
block sees the same k16 steps in the same order as on the fragment formats, so the two
tilings must give bit-identical outputs, and both must match the float64 reference.
Outputs are NaN-poisoned.
"""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import qgemm
from qgemm import _ext, ops
from qgemm.packed import fragment_format, k64_format

from wna16_common import check_compile_and_graph, make_weight as _weight, reference as _reference, rel_err as _rel_err

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

REL_BOUND = {torch.float16: 2e-3, torch.bfloat16: 1.5e-2}
SCHEMES = [("int4", "int"), ("uint4", "int"), ("uint4", "float"), ("int8", "int")]
# Every row of kWna16Configs: 1 .. 16 (decode), .. 64, .. 256, beyond.
M_VALUES = [1, 7, 16, 17, 64, 65, 255, 256, 4097]


@pytest.fixture(autouse=True)
def fused_path(monkeypatch):
    monkeypatch.setattr(ops, "POISON_OUTPUTS", True)
    monkeypatch.setattr(ops, "FORCE_PATH", "fused")
    yield


def _pair(n, k, scheme, zero_point, group, dtype, seed=0):
    qw = _weight(n, k, scheme, zero_point, group, dtype, seed)
    return (qw, qgemm.prepack(qw, "cuda", dtype, format=k64_format(scheme)),
            qgemm.prepack(qw, "cuda", dtype, format=fragment_format(scheme)))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
@pytest.mark.parametrize("group", [64, 128, -1])
def test_k64_equals_fragment_bitwise_every_m(dtype, scheme, zero_point, group):
    # N = 320: the last 128- and 256-wide N tiles are partly outside N; K = 1024 splits.
    n, k = 320, 1024
    qw, k64, frag = _pair(n, k, scheme, zero_point, group, dtype, seed=n + group)
    bias = torch.randn(n, device="cuda").to(dtype)
    for m in M_VALUES:
        x = torch.randn(m, k, device="cuda").to(dtype)
        for b in (None, bias):
            out = qgemm.linear(x, k64, b)
            what = f"m={m} bias={b is not None}"
            assert torch.equal(out, qgemm.linear(x, frag, b)), what
            err = _rel_err(out, _reference(x, qw, b))
            assert err < REL_BOUND[dtype], f"{what}: rel err {err:.2e}"


@given(nt=st.integers(1, 40), kt=st.integers(1, 64), m=st.integers(1, 300),
       scheme=st.sampled_from(SCHEMES), group=st.sampled_from([64, 128, -1]), bf16=st.booleans(),
       seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_k64_random_shapes(nt, kt, m, scheme, group, bf16, seed):
    dtype = torch.bfloat16 if bf16 else torch.float16
    n, k = 64 * nt, 128 * kt
    if group != -1 and k % group:
        group = -1
    qw, k64, frag = _pair(n, k, scheme[0], scheme[1], group, dtype, seed)
    x = torch.randn(m, k, device="cuda").to(dtype)
    out = qgemm.linear(x, k64)
    assert torch.equal(out, qgemm.linear(x, frag)), f"n={n} k={k} m={m}"
    assert _rel_err(out, _reference(x, qw)) < REL_BOUND[dtype], f"n={n} k={k} m={m}"


def test_k64_exact_on_integer_grid():
    n, k, g = 192, 4096, 64  # split-K at decode: the fp32 partials are exact here too
    gen = torch.Generator().manual_seed(7)
    for scheme in ("int4", "uint4", "int8"):
        lo, hi = {"int4": (-8, 8), "uint4": (0, 16), "int8": (-127, 128)}[scheme]
        codes = torch.randint(lo, hi, (n, k), generator=gen, dtype=torch.uint8 if scheme == "uint4" else torch.int8)
        scales = torch.pow(2.0, torch.randint(-6, -2, (n, k // g), generator=gen).float()).half()
        zeros = torch.randint(0, 16, (n, k // g), generator=gen).half() if scheme == "uint4" else None
        qw = qgemm.QuantizedWeight(scheme, g, codes, scales, zeros)
        pw = qgemm.prepack(qw, "cuda", torch.float16, format=k64_format(scheme))
        for m in (1, 13, 100):
            x = torch.randint(-3, 4, (m, k), generator=gen).half().cuda()
            out = qgemm.linear(x, pw)
            ref = _reference(x, qw).half()
            assert torch.equal(out, ref), f"{scheme} m={m}: max diff {(out.double() - ref.double()).abs().max()}"


def test_dispatch_of_k64_weights(monkeypatch):
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    n, k, dtype = 256, 512, torch.float16
    qw = _weight(n, k, "int8", "int", -1, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format="int8_k64")
    frag = qgemm.prepack(qw, "cuda", dtype, format="int8_fragment")
    monkeypatch.setattr(ops, "DENSE_MIN_M", {})
    monkeypatch.setattr(ops, "DENSE_MIN_M_DEFAULT", 1024)
    monkeypatch.setattr(ops, "K64_FUSED_MAX_M", 16)
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", None)  # the decode kernel's routing: test_wna16_k64_decode_gpu.py
    monkeypatch.setattr(_ext, "runs_sm90a", lambda device: True)
    assert [ops._choose_path("linear", pw, m) for m in (1, 16, 17, 4096)] == ["fused", "fused", "sm90", "sm90"]
    assert [ops._choose_path("linear", frag, m) for m in (16, 17, 1024)] == ["fused", "fused", "dense"]
    monkeypatch.setattr(ops, "K64_FUSED_MAX_M", None)
    assert ops._choose_path("linear", pw, 1) == "sm90"
    monkeypatch.setattr(_ext, "runs_sm90a", lambda device: False)  # as on another GPU
    assert [ops._choose_path("linear", pw, m) for m in (1, 17, 1023, 1024)] == ["fused"] * 3 + ["dense"]
    monkeypatch.setattr(ops, "FORCE_PATH", "sm90")
    with pytest.raises(ValueError, match="w.format"):
        qgemm.linear(torch.randn(1, k, device="cuda", dtype=dtype), frag)
    monkeypatch.setattr(ops, "FORCE_PATH", "bogus")
    with pytest.raises(ValueError, match="FORCE_PATH"):
        qgemm.linear(torch.randn(1, k, device="cuda", dtype=dtype), pw)


def _check_split(qw, k64, frag, bias, splits, ms):
    # At each M: k64 == fragment bit for bit, and both near the reference. Returns the last x.
    dtype = bias.dtype
    for m in ms:
        x = torch.randn(m, qw.shape[1], device="cuda").to(dtype)
        out = qgemm.linear(x, k64, bias)
        assert torch.equal(out, qgemm.linear(x, frag, bias)), f"splits={splits} m={m}"
        assert _rel_err(out, _reference(x, qw, bias)) < REL_BOUND[dtype], f"splits={splits} m={m}"
    return x


@pytest.mark.parametrize("splits", [1, 2, 3, 7, 64])
def test_forced_splits(monkeypatch, splits):
    # K = 1024 at bk = 128: 8 k-iterations, so 64 is capped at 8; every split sums its own range.
    monkeypatch.setattr(ops, "SM80_SPLITS", splits)
    n, k, dtype = 320, 1024, torch.float16
    qw, k64, frag = _pair(n, k, "int4", "int", 128, dtype)
    x = _check_split(qw, k64, frag, torch.randn(n, device="cuda").to(dtype), splits, (1, 16, 100))
    for bad in (0, -1, 2.0):
        monkeypatch.setattr(ops, "SM80_SPLITS", bad)
        with pytest.raises(ValueError, match="SM80_SPLITS"):
            qgemm.linear(x, k64)


@pytest.mark.parametrize("scheme,zero_point,group", [("int4", "int", 128), ("uint4", "float", -1), ("int8", "int", -1)])
@pytest.mark.parametrize("splits", [5, 11])
def test_split_k_paths(monkeypatch, scheme, zero_point, group, splits):
    # K = 2048: 16 k-iterations, split 5 or 11 ways (fp32 partials, reduce kernel); the
    # per-channel rows also take their scales in the epilogue at M <= 16.
    monkeypatch.setattr(ops, "SM80_SPLITS", splits)
    n, k, dtype = 192, 2048, torch.bfloat16
    qw, k64, frag = _pair(n, k, scheme, zero_point, group, dtype, seed=splits)
    bias = torch.randn(n, device="cuda").to(dtype)
    _check_split(qw, k64, frag, bias, splits, (1, 16, 64))
    monkeypatch.setattr(ops, "SM80_SPLITS", 1)
    x = torch.randn(16, k, device="cuda").to(dtype)
    one = qgemm.linear(x, k64, bias)
    monkeypatch.setattr(ops, "SM80_SPLITS", splits)
    split = qgemm.linear(x, k64, bias)
    assert (split.float() - one.float()).abs().max() <= 2 * (one.float().abs().max() * 2**-8), "splits moved the result"


def test_binding_refuses_unknown_tiling():
    n, k, dtype = 128, 256, torch.float16
    pw = qgemm.prepack(_weight(n, k, "int4", "int", 128, dtype), "cuda", dtype, format="int4_k64")
    x = torch.randn(4, k, device="cuda", dtype=dtype)
    out = torch.empty(4, n, device="cuda", dtype=dtype)
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    for tiling in (-1, 2):
        status = _ext.extension().wna16_gemm(0, 0, tiling, x.data_ptr(), k, pw.packed.data_ptr(),
                                             pw.scales.data_ptr(), 0, 0, out.data_ptr(), n, 4, n, k, 128, 0, 0,
                                             sms, 0, _ext.current_stream())
        assert status == 1, tiling  # kInvalidArgument


def test_k64_opcheck_compile_graphs_backward():
    n, k, dtype = 256, 1024, torch.bfloat16
    qw = _weight(n, k, "uint4", "float", 128, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format="int4_k64")
    x = torch.randn(5, k, device="cuda").to(dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    torch.library.opcheck(ops.wna16_gemm, (x, pw.packed, pw.scales, pw.zeros, bias, pw.kind, 128, 0))
    check_compile_and_graph(x, pw, bias)
    xg = x.clone().requires_grad_(True)
    qgemm.linear(xg, pw).float().sum().backward()
    expect = torch.ones(5, n, device="cuda").double() @ qw.dequantize().double().cuda()
    assert _rel_err(xg.grad, expect) < REL_BOUND[dtype]
