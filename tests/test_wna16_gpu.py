"""W4A16 / W8A16 on the GPU against the float32 reference (qw.dequantize())."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import qgemm
from qgemm import ops
from qgemm.nn import QuantLinear

from wna16_common import make_weight as _weight, reference as _reference, rel_err as _rel_err

pytestmark = pytest.mark.gpu

# ||out - ref|| / ||ref|| bounds per activation dtype (DESIGN.md "Tests").
REL_BOUND = {torch.float16: 2e-3, torch.bfloat16: 1.5e-2}
SCHEMES = [("int4", "int"), ("uint4", "int"), ("uint4", "float"), ("int8", "int")]
GROUPS = [32, 64, 128, -1]
M_VALUES = [1, 7, 16, 17, 64, 255, 4097]


@pytest.fixture(autouse=True)
def poison_outputs(monkeypatch):
    # This file tests the sm80 kernel and the dense path: the fragment formats even where
    # prepack() would choose a k64 format (test_wna16_sm90_gpu.py covers those).
    monkeypatch.setattr(qgemm.packed, "PREFER_K64", False)
    ops.POISON_OUTPUTS = True
    yield
    ops.POISON_OUTPUTS = False


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
@pytest.mark.parametrize("group", GROUPS)
def test_linear_matches_reference_all_m(monkeypatch, dtype, scheme, zero_point, group):
    # Both paths of the dispatch at every M: the fused kernel and dequantize + GEMM.
    n, k = 256, 1024
    qw = _weight(n, k, scheme, zero_point, group, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    for path in ("fused", "dense"):
        monkeypatch.setattr(ops, "FORCE_PATH", path)
        for m in M_VALUES:
            x = torch.randn(m, k, device="cuda").to(dtype)
            for b in (None, bias):
                out = qgemm.linear(x, pw, b)
                assert out.shape == (m, n) and out.dtype == dtype
                err = _rel_err(out, _reference(x, qw, b))
                assert err < REL_BOUND[dtype], f"{path} m={m} bias={b is not None}: rel err {err:.2e}"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
@pytest.mark.parametrize("group", [32, 128])
def test_linear_partial_last_n_tile(monkeypatch, dtype, scheme, zero_point, group):
    # N % 64 == 0 but not a multiple of the CTA's bn (128, or 256 for the large config):
    # the last N tile is partial. Fused kernel at every M (no dense fallback), so each
    # config and the split-K paths see it; outputs are NaN-poisoned.
    monkeypatch.setattr(ops, "DENSE_MIN_M", {})
    monkeypatch.setattr(ops, "DENSE_MIN_M_DEFAULT", None)
    k = 512
    for n in (64, 192, 320, 448):
        qw = _weight(n, k, scheme, zero_point, group, dtype, seed=n)
        pw = qgemm.prepack(qw, "cuda", dtype)
        bias = torch.randn(n, device="cuda").to(dtype)
        for m in (1, 15, 17, 100, 255, 300, 1500):
            x = torch.randn(m, k, device="cuda").to(dtype)
            for b in (None, bias):
                out = qgemm.linear(x, pw, b)
                assert out.shape == (m, n)
                err = _rel_err(out, _reference(x, qw, b))
                assert err < REL_BOUND[dtype], f"n={n} m={m} bias={b is not None}: rel err {err:.2e}"


@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
def test_linear_exact_on_integer_grid(scheme, zero_point):
    # Integer activations in {-1, 0, 1}, scale 1, integer zeros: every product and sum is
    # exact in fp32 and |y| <= 1024 is exact in fp16, so the kernel must match exactly.
    n, k, m = 128, 128, 33
    g = torch.Generator().manual_seed(1)
    if scheme == "int8":
        codes = torch.randint(-8, 9, (n, k), generator=g).to(torch.int8)
    elif scheme == "int4":
        codes = torch.randint(-8, 8, (n, k), generator=g).to(torch.int8)
    else:
        codes = torch.randint(0, 16, (n, k), generator=g).to(torch.uint8)
    groups = k // 32
    scales = torch.ones(n, groups, dtype=torch.float16)
    zeros = None
    if scheme == "uint4":
        zeros = torch.randint(0, 16, (n, groups), generator=g).to(torch.uint8)
        if zero_point == "float":
            zeros = zeros.to(torch.float16)
    qw = qgemm.QuantizedWeight(scheme, 32, codes, scales, zeros)
    x = torch.randint(-1, 2, (m, k), generator=g).to(torch.float16).cuda()
    out = qgemm.linear(x, qgemm.prepack(qw, "cuda"))
    ref = _reference(x, qw)
    assert torch.equal(out.double(), ref)


@settings(max_examples=25, deadline=None)
@given(nt=st.integers(1, 6), kt=st.integers(1, 8), m=st.integers(1, 300),
       scheme=st.sampled_from(SCHEMES), group=st.sampled_from(GROUPS),
       bf16=st.booleans(), seed=st.integers(0, 1000))
def test_linear_random_shapes(nt, kt, m, scheme, group, bf16, seed):
    dtype = torch.bfloat16 if bf16 else torch.float16
    n, k = 64 * nt, 128 * kt
    qw = _weight(n, k, scheme[0], scheme[1], group, dtype, seed)
    x = torch.randn(m, k, device="cuda", generator=torch.Generator("cuda").manual_seed(seed)).to(dtype)
    out = qgemm.linear(x, qgemm.prepack(qw, "cuda", dtype))
    assert _rel_err(out, _reference(x, qw)) < REL_BOUND[dtype]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_linear_t_and_act_order(dtype):
    n, k = 192, 512
    g = torch.Generator().manual_seed(3)
    qw = _weight(n, k, "uint4", "int", 128, dtype)
    # act-order: a GPTQ g_idx that is a shuffled arange(K) // g
    g_idx = (torch.arange(k) // 128)[torch.randperm(k, generator=g)].to(torch.int32)
    qweight, qzeros, scales, _ = qgemm.export_gptq(qw, checkpoint_format="gptq_v2")
    qw_ao = qgemm.import_gptq(qweight, qzeros, scales, 128, g_idx, checkpoint_format="gptq_v2")
    assert qw_ao.perm is not None
    pw = qgemm.prepack(qw_ao, "cuda", dtype)
    x = torch.randn(5, 3, k, device="cuda").to(dtype)
    out = qgemm.linear(x, pw)
    assert _rel_err(out, _reference(x, qw_ao)) < REL_BOUND[dtype]
    grad = torch.randn(5, 3, n, device="cuda").to(dtype)
    gt = qgemm.linear_t(grad, pw)
    ref_t = grad.double() @ qw_ao.dequantize().double().cuda()
    assert gt.shape == (5, 3, k)
    assert _rel_err(gt, ref_t) < REL_BOUND[dtype]


def test_quant_linear_module_autograd_compile_and_graphs():
    torch.manual_seed(0)
    lin = torch.nn.Linear(512, 256, bias=True).cuda().half()
    ql = QuantLinear.from_linear(lin, "int4", 128)
    x = torch.randn(4, 512, device="cuda", dtype=torch.float16, requires_grad=True)
    y = ql(x)
    y.float().sum().backward()
    dense = qgemm.linear_t(torch.ones(4, 256, device="cuda", dtype=torch.float16), ql.weight)
    assert torch.allclose(x.grad.float(), dense.float(), rtol=1e-2, atol=1e-2)

    compiled = torch.compile(ql, fullgraph=True)
    xs = torch.randn(16, 512, device="cuda", dtype=torch.float16)
    assert torch.allclose(compiled(xs).float(), ql(xs).float())

    static_x = xs.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        ql(static_x)  # warm up outside capture
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_y = ql(static_x)
    static_x.copy_(torch.randn_like(static_x))
    graph.replay()
    torch.cuda.synchronize()
    assert torch.allclose(static_y.float(), ql(static_x).float())


def test_opcheck():
    qw = _weight(128, 256, "uint4", "int", 64, torch.float16)
    pw = qgemm.prepack(qw, "cuda")
    x = torch.randn(3, 256, device="cuda", dtype=torch.float16)
    bias = torch.randn(128, device="cuda", dtype=torch.float16)
    ops.POISON_OUTPUTS = False
    torch.library.opcheck(torch.ops.qgemm.wna16_gemm.default,
                          (x, pw.packed, pw.scales, pw.zeros, bias, pw.kind, pw.group_size, 0))
    torch.library.opcheck(torch.ops.qgemm.wna16_dequantize.default,
                          (pw.packed, pw.scales, pw.zeros, pw.kind, pw.group_size))


def test_bad_inputs_are_refused_by_name():
    qw = _weight(128, 256, "int4", "int", 128, torch.float16)
    pw = qgemm.prepack(qw, "cuda")
    x = torch.randn(2, 256, device="cuda", dtype=torch.float16)
    with pytest.raises(ValueError, match="x.*dtype"):
        qgemm.linear(x.float(), pw)
    with pytest.raises(ValueError, match="x.*last dimension 256"):
        qgemm.linear(x[:, :128], pw)
    with pytest.raises(ValueError, match="x.*bfloat16|x.*float16"):
        qgemm.linear(x.bfloat16(), pw)
    with pytest.raises(ValueError, match="x.*device"):
        qgemm.linear(x.cpu(), pw)
    with pytest.raises(ValueError, match="bias.*shape"):
        qgemm.linear(x, pw, torch.zeros(127, device="cuda", dtype=torch.float16))
    with pytest.raises(ValueError, match="K.*multiple of 128"):
        qgemm.prepack(_weight(128, 192, "int4", "int", 64, torch.float16), "cuda")
    with pytest.raises(ValueError, match="scheme"):
        qgemm.prepack(_weight(128, 256, "fp6_e3m2", "int", 128, torch.float16), "cuda")


@pytest.mark.parametrize("group", [32, 128, -1])
@pytest.mark.parametrize("act_order", [False, True])
def test_prepack_from_checkpoint_equals_import_then_prepack(group, act_order):
    # The one-pass repack (reading AWQ / GPTQ packing in the kernel) must give the same
    # bytes as import + prepack, and the same products.
    n, k = 192, 1024
    qw = _weight(n, k, "uint4", "int", group, torch.float16)
    qweight, qzeros, scales = qgemm.export_awq(qw)
    a = qgemm.prepack_awq(qweight.cuda(), qzeros.cuda(), scales.cuda(), group)
    b = qgemm.prepack(qgemm.import_awq(qweight, qzeros, scales, group), "cuda")
    assert torch.equal(a.packed, b.packed) and torch.equal(a.scales, b.scales) and torch.equal(a.zeros, b.zeros)

    g = qw.group_size
    g_idx = None
    if act_order and g != k:
        g_idx = (torch.arange(k) // g)[torch.randperm(k, generator=torch.Generator().manual_seed(5))]
        g_idx = g_idx.to(torch.int32)
    gq, gz, gs, _ = qgemm.export_gptq(qw, checkpoint_format="gptq")
    args = (gq, gz, gs, group, g_idx)
    c = qgemm.prepack_gptq(*[t.cuda() if isinstance(t, torch.Tensor) else t for t in args])
    d = qgemm.prepack(qgemm.import_gptq(*args), "cuda")
    assert torch.equal(c.packed, d.packed) and torch.equal(c.zeros, d.zeros)
    assert (c.perm is None) == (d.perm is None)
    x = torch.randn(9, k, device="cuda", dtype=torch.float16)
    assert torch.equal(qgemm.linear(x, c), qgemm.linear(x, d))
