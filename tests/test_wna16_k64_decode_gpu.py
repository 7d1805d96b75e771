"""The k64 decode kernel ("decode" path: M <= 16 on int4_k64 / int8_k64 weights, any GPU).

It applies each group's scale to the fp32 partial sum of that group (the other kernels scale
the 16-bit weights), so it is checked against the float64 reference, not bit for bit against
the sm80 kernel; on an integer grid with power-of-two scales every step is exact and the
output must equal the reference exactly. Outputs and workspaces are NaN-poisoned.
"""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import qgemm
from qgemm import _ext, ops
from qgemm.packed import k64_format

from wna16_common import check_compile_and_graph, make_weight as _weight, reference as _reference, rel_err as _rel_err

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

REL_BOUND = {torch.float16: 2e-3, torch.bfloat16: 1.5e-2}
SCHEMES = [("int4", "int"), ("uint4", "int"), ("uint4", "float"), ("int8", "int")]
# One token block (M <= 8, two n64 columns a CTA) and two (9..16, four n64 columns a CTA).
M_VALUES = [1, 2, 7, 8, 9, 15, 16]


@pytest.fixture(autouse=True)
def decode_path(monkeypatch):
    monkeypatch.setattr(ops, "POISON_OUTPUTS", True)
    monkeypatch.setattr(ops, "FORCE_PATH", "decode")
    yield


def _packed(n, k, scheme, zero_point, group, dtype, seed=0):
    qw = _weight(n, k, scheme, zero_point, group, dtype, seed)
    return qw, qgemm.prepack(qw, "cuda", dtype, format=k64_format(scheme))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
@pytest.mark.parametrize("group", [64, 128, -1])
def test_decode_every_m(dtype, scheme, zero_point, group):
    # N = 320: five n64 columns, so the last CTA has columns past N (one of two at M <= 8,
    # three of four at M > 8).
    n, k = 320, 1024
    qw, pw = _packed(n, k, scheme, zero_point, group, dtype, seed=n + group)
    bias = torch.randn(n, device="cuda").to(dtype)
    for m in M_VALUES:
        x = torch.randn(m, k, device="cuda").to(dtype)
        for b in (None, bias):
            out = qgemm.linear(x, pw, b)
            err = _rel_err(out, _reference(x, qw, b))
            assert err < REL_BOUND[dtype], f"m={m} bias={b is not None}: rel err {err:.2e}"


@given(nt=st.integers(1, 40), kt=st.integers(1, 64), m=st.integers(1, 16),
       scheme=st.sampled_from(SCHEMES), group=st.sampled_from([64, 128, -1]), bf16=st.booleans(),
       seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_decode_random_shapes(nt, kt, m, scheme, group, bf16, seed):
    dtype = torch.bfloat16 if bf16 else torch.float16
    n, k = 64 * nt, 128 * kt
    if group != -1 and k % group:
        group = -1
    qw, pw = _packed(n, k, scheme[0], scheme[1], group, dtype, seed)
    x = torch.randn(m, k, device="cuda").to(dtype)
    assert _rel_err(qgemm.linear(x, pw), _reference(x, qw)) < REL_BOUND[dtype], f"n={n} k={k} m={m}"


@pytest.mark.parametrize("splits", [None, 1, 3, 7])
def test_decode_exact_on_integer_grid(monkeypatch, splits):
    # Codes, zeros and x small integers, scales powers of two: every product, group sum,
    # scaled partial and split sum is exact in fp32, so the output equals the reference.
    monkeypatch.setattr(ops, "DECODE_SPLITS", splits)
    n, k = 192, 4096
    gen = torch.Generator().manual_seed(7)
    for scheme, g in (("int4", 64), ("uint4", 128), ("int8", 4096), ("int4", 4096)):
        lo, hi = {"int4": (-8, 8), "uint4": (0, 16), "int8": (-127, 128)}[scheme]
        codes = torch.randint(lo, hi, (n, k), generator=gen, dtype=torch.uint8 if scheme == "uint4" else torch.int8)
        scales = torch.pow(2.0, torch.randint(-6, -2, (n, k // g), generator=gen).float()).half()
        zeros = torch.randint(0, 16, (n, k // g), generator=gen).half() if scheme == "uint4" else None
        qw = qgemm.QuantizedWeight(scheme, g, codes, scales, zeros)
        pw = qgemm.prepack(qw, "cuda", torch.float16, format=k64_format(scheme))
        for m in (1, 13, 16):
            x = torch.randint(-3, 4, (m, k), generator=gen).half().cuda()
            out = qgemm.linear(x, pw)
            ref = _reference(x, qw).half()
            assert torch.equal(out, ref), f"{scheme} g={g} m={m}: max diff {(out.double() - ref.double()).abs().max()}"


@pytest.mark.parametrize("scheme,zero_point,group", [("int4", "int", 128), ("uint4", "float", 64), ("int8", "int", -1)])
@pytest.mark.parametrize("splits", [2, 6, 64])
def test_decode_forced_splits(monkeypatch, scheme, zero_point, group, splits):
    # K = 2048: 32 k64 blocks, split 2 ways, 6 (five of 6 blocks, a short last one of 2) or
    # 16 of 2 blocks (64 asked; the plan cuts on even blocks): fp32 partials + reduce.
    n, k, dtype = 192, 2048, torch.bfloat16
    qw, pw = _packed(n, k, scheme, zero_point, group, dtype, seed=splits)
    bias = torch.randn(n, device="cuda").to(dtype)
    for m in (1, 16):
        x = torch.randn(m, k, device="cuda").to(dtype)
        monkeypatch.setattr(ops, "DECODE_SPLITS", 1)
        one = qgemm.linear(x, pw, bias)
        monkeypatch.setattr(ops, "DECODE_SPLITS", splits)
        split = qgemm.linear(x, pw, bias)
        assert _rel_err(split, _reference(x, qw, bias)) < REL_BOUND[dtype], f"splits={splits} m={m}"
        assert (split.float() - one.float()).abs().max() <= 2 * one.float().abs().max() * 2**-8, "splits moved it"
    for bad in (0, -1, 2.0):
        monkeypatch.setattr(ops, "DECODE_SPLITS", bad)
        with pytest.raises(ValueError, match="DECODE_SPLITS"):
            qgemm.linear(x, pw)


def test_decode_close_to_sm80_kernel(monkeypatch):
    # Same weights, the two decode-size kernels: equal to the 16-bit rounding of the output.
    n, k, dtype = 512, 4096, torch.float16
    for scheme, zp, g in (("int4", "int", 128), ("uint4", "float", 128), ("int8", "int", -1)):
        qw, pw = _packed(n, k, scheme, zp, g, dtype)
        x = torch.randn(16, k, device="cuda").to(dtype)
        ours = qgemm.linear(x, pw)
        monkeypatch.setattr(ops, "FORCE_PATH", "fused")
        sm80 = qgemm.linear(x, pw)
        monkeypatch.setattr(ops, "FORCE_PATH", "decode")
        ref = _reference(x, qw)
        assert _rel_err(ours, ref) <= max(1.5 * _rel_err(sm80, ref), 1e-3), scheme


def test_decode_strided_x_rows():
    # The launcher reads x with its row stride: a padded row (ldx = K + 64) through the binding.
    n, k, m, dtype = 256, 1024, 5, torch.float16
    qw, pw = _packed(n, k, "int4", "int", 128, dtype)
    xfull = torch.randn(m, k + 64, device="cuda").to(dtype)
    out = torch.full((m, n), float("nan"), device="cuda", dtype=dtype)
    sms = _ext.num_sms(torch.device("cuda"))
    ws = torch.empty(_ext.extension().wna16_decode_workspace_bytes(m, n, k, sms), dtype=torch.uint8, device="cuda")
    status = _ext.extension().wna16_decode_gemm(0, pw.kind, xfull.data_ptr(), k + 64, pw.packed.data_ptr(),
                                               pw.scales.data_ptr(), 0, 0, out.data_ptr(), n, m, n, k, 128,
                                               ws.data_ptr(), ws.numel(), sms, 0, _ext.current_stream())
    assert status == 0
    assert _rel_err(out, _reference(xfull[:, :k], qw)) < REL_BOUND[dtype]


def test_decode_refusals(monkeypatch):
    n, k, dtype = 128, 256, torch.float16
    qw, pw = _packed(n, k, "int4", "int", 128, dtype)
    with pytest.raises(ValueError, match="at most 16 rows"):
        qgemm.linear(torch.randn(17, k, device="cuda", dtype=dtype), pw)
    frag = qgemm.prepack(qw, "cuda", dtype, format="int4_fragment")
    with pytest.raises(ValueError, match="w.format"):
        qgemm.linear(torch.randn(1, k, device="cuda", dtype=dtype), frag)
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    for bad in (17, -1, 3.0):
        monkeypatch.setattr(ops, "K64_DECODE_MAX_M", bad)
        with pytest.raises(ValueError, match="K64_DECODE_MAX_M"):
            qgemm.linear(torch.randn(1, k, device="cuda", dtype=dtype), pw)
    # The launcher itself: M > 16 and a group size that splits a k64 block are unsupported (2),
    # a misaligned x invalid (1); nothing is written.
    x = torch.randn(32, k, device="cuda", dtype=dtype)
    out = torch.full((32, n), 7.0, device="cuda", dtype=dtype)
    sms = _ext.num_sms(torch.device("cuda"))

    def call(m, group, xptr):
        return _ext.extension().wna16_decode_gemm(0, pw.kind, xptr, k, pw.packed.data_ptr(), pw.scales.data_ptr(),
                                                  0, 0, out.data_ptr(), n, m, n, k, group, 0, 0, sms, 1,
                                                  _ext.current_stream())
    assert call(17, 128, x.data_ptr()) == 2
    assert call(4, 32, x.data_ptr()) == 2
    assert call(4, 128, x.data_ptr() + 2) == 1
    torch.cuda.synchronize()
    assert (out == 7.0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point,group", [("int4", "int", 128), ("uint4", "float", 64), ("int8", "int", -1)])
@pytest.mark.parametrize("n,k,sms", [(64 * 13, 1024, 3), (64 * 26, 2048, 4), (64 * 9, 640, 2)])
def test_decode_stream_k_through_the_binding(dtype, scheme, zero_point, group, n, k, sms):
    # More column groups than CTA slots, not a whole number of waves: the plan runs stream-K
    # (a CTA's run of (column group, k64 block) units cut where a column group ends, fp32
    # partials in two slots, the slot no CTA reaches zeroed). A few SMs given to the launcher
    # make the small shapes take it (two-column CTAs at 1 and 5 tokens, four-column ones at
    # 12). Workspace and output NaN-poisoned; a last column group partly past N included.
    ext = _ext.extension()
    qw, pw = _packed(n, k, scheme, zero_point, group, dtype, seed=n + k)
    bias = torch.randn(n, device="cuda").to(dtype)
    g = k if group == -1 else group
    for m in (1, 5, 12):
        plan = ext.wna16_decode_plan(pw.kind, m, n, k, sms)
        assert "stream_k" in plan, plan
        x = torch.randn(m, k, device="cuda").to(dtype)
        ws = torch.full((ext.wna16_decode_workspace_bytes(m, n, k, sms) // 4,), float("nan"), device="cuda")
        out = torch.full((m, n), float("nan"), device="cuda", dtype=dtype)
        st_ = ext.wna16_decode_gemm(0 if dtype == torch.float16 else 1, pw.kind, x.data_ptr(), k,
                                    pw.packed.data_ptr(), pw.scales.data_ptr(),
                                    pw.zeros.data_ptr() if pw.zeros is not None else 0, bias.data_ptr(),
                                    out.data_ptr(), n, m, n, k, g, ws.data_ptr(), ws.numel() * 4, sms, 0,
                                    _ext.current_stream())
        assert st_ == 0
        err = _rel_err(out, _reference(x, qw, bias))
        assert err < REL_BOUND[dtype], f"{plan} m={m}: rel err {err:.2e}"


def test_decode_stream_k_on_every_sm(monkeypatch):
    # A layer wider than one wave of column groups on this GPU (the 70B gate_up case),
    # integer grid: exact against the reference whatever the pieces. One and two token
    # blocks (K = 1024: 16 blocks, pieces longer than a step, so the register ring reloads
    # across steps and segments).
    monkeypatch.setattr(ops, "FORCE_PATH", "decode")
    sms = _ext.num_sms(torch.device("cuda"))
    n, k, g = 128 * (3 * sms + 1), 1024, 128  # 3 sms + 1 two-column groups on 2 sms CTA slots
    plan = _ext.extension().wna16_decode_plan(0, 1, n, k, sms)
    assert "stream_k" in plan, plan
    gen = torch.Generator().manual_seed(7)
    codes = torch.randint(-8, 8, (n, k), generator=gen, dtype=torch.int8)
    scales = torch.pow(2.0, torch.randint(-4, 0, (n, k // g), generator=gen).float()).half()
    qw = qgemm.QuantizedWeight("int4", g, codes, scales, None)
    pw = qgemm.prepack(qw, "cuda", torch.float16, format="int4_k64")
    assert "stream_k" in _ext.extension().wna16_decode_plan(0, 16, n, k, sms)
    for m in (1, 3, 9, 16):
        x = torch.randint(-3, 4, (m, k), generator=gen).half().cuda()
        out = qgemm.linear(x, pw)
        ref = _reference(x, qw).half()
        assert torch.equal(out, ref), f"{plan} m={m}: max diff {(out.double() - ref.double()).abs().max()}"


def test_dispatch_to_decode(monkeypatch):
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    n, k, dtype = 256, 512, torch.float16
    qw, pw = _packed(n, k, "int4", "int", 128, dtype)
    frag = qgemm.prepack(qw, "cuda", dtype, format="int4_fragment")
    monkeypatch.setattr(ops, "DENSE_MIN_M", {})
    monkeypatch.setattr(ops, "DENSE_MIN_M_DEFAULT", 1024)
    monkeypatch.setattr(_ext, "runs_sm90a", lambda device: True)
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", 16)
    # K64_DECODE_MAX_M alone here; the per-scheme limits: test_ops_validation.py (no GPU)
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M_BY_SCHEME", {})
    assert [ops._choose_path("linear", pw, m) for m in (1, 16, 17)] == ["decode", "decode", "sm90"]
    assert [ops._choose_path("linear", frag, m) for m in (1, 16)] == ["fused", "fused"]
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", 8)
    assert [ops._choose_path("linear", pw, m) for m in (8, 9)] == ["decode", "fused"]
    monkeypatch.setattr(_ext, "runs_sm90a", lambda device: False)
    monkeypatch.setattr(ops, "K64_DECODE_MAX_M", None)
    assert ops._choose_path("linear", pw, 1) == "fused"


def test_decode_opcheck_compile_graphs_backward():
    n, k, dtype = 256, 1024, torch.bfloat16
    qw, pw = _packed(n, k, "uint4", "float", 128, dtype)
    x = torch.randn(5, k, device="cuda").to(dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    torch.library.opcheck(ops.wna16_decode_gemm, (x, pw.packed, pw.scales, pw.zeros, bias, pw.kind, 128, 0))
    check_compile_and_graph(x, pw, bias)
    xg = x.clone().requires_grad_(True)
    qgemm.linear(xg, pw).float().sum().backward()
    expect = torch.ones(5, n, device="cuda").double() @ qw.dequantize().double().cuda()
    assert _rel_err(xg.grad, expect) < REL_BOUND[dtype]
