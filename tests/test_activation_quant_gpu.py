"""W8A8 activation quantization kernels on the GPU against qgemm.reference.

Per-token and per-tensor ops must agree with the reference bit for bit (codes, scales,
zero points). The fused add + RMSNorm + quantization sums squares in another order than
torch, so its normed values can differ from the reference's in the last bit or two:
there the new residual must be bit-exact, scales within 4e-6 relative, and codes within
one step (int8 code, or one float8_e4m3fn step) on at most max(2, 0.1%) of the elements.
Outputs are poisoned (NaN, 0x80 bytes) before each kernel runs.
"""
import math

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qgemm
from qgemm import ops
from qgemm import reference as ref

pytestmark = pytest.mark.gpu

FP8 = torch.float8_e4m3fn
DTYPES = [torch.float16, torch.bfloat16, torch.float32]
M_VALUES = st.sampled_from([0, 1, 7, 17, 4097])
# Warp-per-row (K <= 1024), CTA with the row in registers (1, 2 chunks a thread up to
# 8192, 4 up to 32768), streamed rows (longer), element-by-element tails (K % 8 != 0).
K_VALUES = st.sampled_from([1, 3, 8, 13, 64, 257, 1024, 1032, 2047, 4096, 8192, 16384, 16392, 28672, 32768, 32776])
MAGNITUDES = st.sampled_from([1e-3, 1.0, 30.0, 1e3])
SEEDS = st.integers(0, 2**31 - 1)
FUSED_SCALE_RTOL = 4e-6


@pytest.fixture(autouse=True)
def poison_outputs():
    ops.POISON_OUTPUTS = True
    yield
    ops.POISON_OUTPUTS = False


def random_x(m, k, dtype, magnitude, seed, outlier=False):
    g = torch.Generator(device="cuda").manual_seed(seed)
    x = torch.randn(m, k, generator=g, device="cuda") * magnitude
    if outlier and m and k > 1:
        x[:, int(torch.randint(0, k, (), generator=g, device="cuda"))] *= 100
    return x.clamp(-6e4, 6e4).to(dtype)


def assert_bits_equal(a, b, what):
    assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape}/{a.dtype} vs {b.shape}/{b.dtype}"
    if a.dtype == FP8:
        a, b = a.view(torch.uint8), b.view(torch.uint8)
    elif a.dtype.is_floating_point:
        assert not torch.isnan(a).any(), f"{what}: NaN (an element was not written)"
        a, b = a.view(torch.int32) if a.dtype == torch.float32 else a.view(torch.int16), \
            b.view(torch.int32) if b.dtype == torch.float32 else b.view(torch.int16)
    bad = (a != b).sum().item()
    assert bad == 0, f"{what}: {bad} of {a.numel()} differ"


def fp8_ordinal(q):
    """float8_e4m3fn bytes -> integers in value order (one step apart = adjacent values)."""
    b = q.view(torch.uint8).int()
    mag = b & 0x7F
    assert not (mag == 0x7F).any(), "fp8 NaN (an element was not written)"
    return torch.where(b >= 0x80, -mag, mag)


def assert_codes_close(q, q_ref, what):
    if q.dtype == FP8:
        a, b = fp8_ordinal(q), fp8_ordinal(q_ref)
    else:
        a, b = q.int(), q_ref.int()
    diff = (a - b).abs()
    assert diff.max().item() <= 1 if diff.numel() else True, f"{what}: codes differ by {diff.max().item()}"
    n_bad = int((diff != 0).sum().item())
    assert n_bad <= max(2, q.numel() // 1000), f"{what}: {n_bad} of {q.numel()} codes differ by one"


# ------------------------------------------------------------------ per token, per tensor

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(m=M_VALUES, k=K_VALUES, magnitude=MAGNITUDES, outlier=st.booleans(), seed=SEEDS)
@example(m=4097, k=28672, magnitude=1.0, outlier=True, seed=1)
@example(m=17, k=13, magnitude=1e-3, outlier=False, seed=2)
@example(m=7, k=32776, magnitude=1.0, outlier=True, seed=6)  # streamed (re-read) rows
def test_per_token_int8_matches_reference(dtype, m, k, magnitude, outlier, seed):
    x = random_x(m, k, dtype, magnitude, seed, outlier)
    for symmetric in (True, False):
        q, s, zp = qgemm.quantize_per_token_int8(x, symmetric=symmetric)
        q_ref, s_ref, zp_ref = ref.quantize_per_token_int8(x, symmetric=symmetric)
        assert_bits_equal(q, q_ref, f"q sym={symmetric}")
        assert_bits_equal(s, s_ref, f"scale sym={symmetric}")
        if symmetric:
            assert zp is None
        else:
            assert_bits_equal(zp, zp_ref, "zero point")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(m=M_VALUES, k=K_VALUES, magnitude=MAGNITUDES, outlier=st.booleans(), seed=SEEDS,
       ub=st.sampled_from([None, "float", "tensor"]))
@example(m=4097, k=8192, magnitude=30.0, outlier=True, seed=3, ub="tensor")
def test_per_token_fp8_matches_reference(dtype, m, k, magnitude, outlier, seed, ub):
    x = random_x(m, k, dtype, magnitude, seed, outlier)
    scale_ub = None
    if ub is not None:  # a bound below most rows' amax, so that entries saturate
        scale_ub = 0.5 * magnitude
        if ub == "tensor":
            scale_ub = torch.tensor([scale_ub], dtype=torch.float32, device="cuda")
    q, s = qgemm.quantize_per_token_fp8(x, scale_ub=scale_ub)
    q_ref, s_ref = ref.quantize_per_token_fp8(x, scale_ub=scale_ub)
    assert_bits_equal(q, q_ref, "q")
    assert_bits_equal(s, s_ref, "scale")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(m=M_VALUES, k=K_VALUES, magnitude=MAGNITUDES, seed=SEEDS,
       shape=st.sampled_from([(), (1,), (1, 1)]), factor=st.sampled_from([0.01, 0.7, 1.0, 3.0]))
def test_per_tensor_matches_reference(dtype, m, k, magnitude, seed, shape, factor):
    x = random_x(m, k, dtype, magnitude, seed)
    # factor < 1: entries past the range saturate; 0.01 saturates most of them.
    for fp8, limit, ours, theirs in ((False, 127.0, qgemm.quantize_per_tensor_int8, ref.quantize_per_tensor_int8),
                                     (True, 448.0, qgemm.quantize_per_tensor_fp8, ref.quantize_per_tensor_fp8)):
        scale = torch.full(shape, magnitude * 4 * factor / limit, dtype=torch.float32, device="cuda")
        assert_bits_equal(ours(x, scale), theirs(x, scale), f"fp8={fp8}")


# ------------------------------------------------------------------ fused

def _fused_case(m, k, dtype, magnitude, seed, weight_f32):
    x = random_x(m, k, dtype, magnitude, seed)
    residual = random_x(m, k, dtype, magnitude, seed + 1)
    g = torch.Generator(device="cuda").manual_seed(seed + 2)
    weight = (1 + 0.1 * torch.randn(k, generator=g, device="cuda"))
    return x, residual, weight.to(torch.float32 if weight_f32 else dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(m=M_VALUES, k=K_VALUES, magnitude=MAGNITUDES, seed=SEEDS, weight_f32=st.booleans(),
       quant=st.sampled_from(["int8", "fp8", "fp8-ub-float", "fp8-ub-tensor"]))
@example(m=4097, k=28672, magnitude=1.0, seed=4, weight_f32=False, quant="int8")
@example(m=17, k=16384, magnitude=1.0, seed=5, weight_f32=True, quant="fp8-ub-tensor")
@example(m=7, k=32776, magnitude=1.0, seed=7, weight_f32=True, quant="int8")  # streamed rows
def test_fused_add_rmsnorm_quant_matches_reference(dtype, m, k, magnitude, seed, weight_f32, quant):
    x, residual, weight = _fused_case(m, k, dtype, magnitude, seed, weight_f32)
    eps = 1e-6
    qdtype = "int8" if quant == "int8" else "fp8"
    scale_ub = None
    if quant == "fp8-ub-float":
        scale_ub = 2.0
    elif quant == "fp8-ub-tensor":
        scale_ub = torch.tensor([2.0], device="cuda")
    q_ref, s_ref, r_ref = ref.fused_add_rmsnorm_quant(x, residual.clone(), weight, eps, qdtype, scale_ub)
    res = residual.clone()
    q, s, r = qgemm.fused_add_rmsnorm_quant(x, res, weight, eps, dtype=qdtype, scale_ub=scale_ub)
    assert r is res, "the residual argument is updated in place and returned"
    assert_bits_equal(r, r_ref, "new residual")
    assert not torch.isnan(s).any(), "scale: NaN (not written)"
    if s.numel():
        rel = ((s - s_ref).abs() / s_ref).max().item()
        assert rel <= FUSED_SCALE_RTOL, f"scale rel diff {rel:.2e}"
    assert_codes_close(q, q_ref, qdtype)


# ------------------------------------------------------------------ edge rows

def _edge_rows(dtype, k=64):
    rows = [
        torch.zeros(k),                                            # all zero: floor 1e-12, zero codes
        torch.full((k,), -3.0),                                    # constant negative (asym: hi = 0)
        torch.full((k,), 5.0),                                     # constant positive (asym: lo = 0)
        torch.cat([torch.full((1,), 6e4), torch.ones(k - 1) * 1e-3]),   # one huge outlier
        torch.cat([torch.tensor([127.0]), torch.arange(k - 1) * 0.5 - 15.5]),  # s = 1: ties n + 0.5
        torch.cat([torch.tensor([448.0, -0.0]), torch.arange(k - 2) * 0.5 ** 7]),  # fp8 ties, -0
    ]
    return torch.stack(rows).to(dtype).cuda()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_edge_rows_match_reference(dtype):
    x = _edge_rows(dtype)
    for symmetric in (True, False):
        q, s, zp = qgemm.quantize_per_token_int8(x, symmetric)
        q_ref, s_ref, zp_ref = ref.quantize_per_token_int8(x, symmetric)
        assert_bits_equal(q, q_ref, f"q sym={symmetric}")
        assert_bits_equal(s, s_ref, f"scale sym={symmetric}")
        if not symmetric:
            assert_bits_equal(zp, zp_ref, "zp")
    for ub in (None, 1.0, torch.tensor(1.0, device="cuda")):
        q, s = qgemm.quantize_per_token_fp8(x, ub)
        q_ref, s_ref = ref.quantize_per_token_fp8(x, ub)
        assert_bits_equal(q, q_ref, f"fp8 q ub={ub}")
        assert_bits_equal(s, s_ref, f"fp8 scale ub={ub}")
    one = torch.ones((), device="cuda")
    assert_bits_equal(qgemm.quantize_per_tensor_int8(x, one), ref.quantize_per_tensor_int8(x, one), "static int8")
    assert_bits_equal(qgemm.quantize_per_tensor_fp8(x, one), ref.quantize_per_tensor_fp8(x, one), "static fp8")


def test_bf16_tiny_values_match_reference():
    # bfloat16 reaches float32's subnormals: quotients far below one code step.
    x = torch.tensor([[1.0, 1e-39, -1e-39, -0.0, 1e-30, -2e-38, 0.5, 3.0]], dtype=torch.bfloat16).cuda()
    x = x.repeat(3, 2)
    q, s, _ = qgemm.quantize_per_token_int8(x)
    q_ref, s_ref, _ = ref.quantize_per_token_int8(x)
    assert_bits_equal(q, q_ref, "int8")
    q, s = qgemm.quantize_per_token_fp8(x)
    q_ref, s_ref = ref.quantize_per_token_fp8(x)
    assert_bits_equal(q, q_ref, "fp8")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_unaligned_rows_take_the_elementwise_path(dtype):
    # Contiguous but 2 bytes past a 16-byte boundary, with K % 8 == 0: not vectorizable.
    m, k = 5, 64
    buf = torch.randn(m * k + 1, device="cuda").to(dtype)
    x = buf[1:].view(m, k)
    assert x.data_ptr() % 16 != 0
    q, s, zp = qgemm.quantize_per_token_int8(x, symmetric=False)
    q_ref, s_ref, zp_ref = ref.quantize_per_token_int8(x, symmetric=False)
    assert_bits_equal(q, q_ref, "q")
    assert_bits_equal(zp, zp_ref, "zp")


def test_leading_dimensions_are_kept():
    x = torch.randn(2, 3, 40, device="cuda", dtype=torch.float16)
    q, s, _ = qgemm.quantize_per_token_int8(x)
    assert q.shape == (2, 3, 40) and s.shape == (2, 3, 1)
    q, s = qgemm.quantize_per_token_fp8(x[0, 0])
    assert q.shape == (40,) and s.shape == (1,)


# ------------------------------------------------------------------ torch integration

def _opcheck_cases():
    x = torch.randn(5, 72, device="cuda", dtype=torch.bfloat16)
    r = torch.randn(5, 72, device="cuda", dtype=torch.bfloat16)
    w = torch.rand(72, device="cuda", dtype=torch.float32)
    ub = torch.tensor([0.5], device="cuda")
    scale = torch.tensor(0.01, device="cuda")
    q = torch.ops.qgemm
    return [
        (q.per_token_quant_int8.default, (x,)),
        (q.per_token_quant_int8_asym.default, (x,)),
        (q.per_token_quant_fp8.default, (x, None, math.inf)),
        (q.per_token_quant_fp8.default, (x, ub, math.inf)),
        (q.per_tensor_quant.default, (x, scale, False)),
        (q.per_tensor_quant.default, (x, scale, True)),
        (q.fused_add_rmsnorm_quant.default, (x, r, w, 1e-6, False, None, math.inf)),
        (q.fused_add_rmsnorm_quant.default, (x, r, w, 1e-6, True, ub, math.inf)),
    ]


@pytest.mark.parametrize("case", range(8))
def test_opcheck(case):
    op, args = _opcheck_cases()[case]
    torch.library.opcheck(op, args)


def test_torch_compile_fullgraph():
    x = torch.randn(9, 256, device="cuda", dtype=torch.float16)
    r = torch.randn(9, 256, device="cuda", dtype=torch.float16)
    w = torch.rand(256, device="cuda", dtype=torch.float16)
    ub = torch.tensor([1.5], device="cuda")

    def block(x, r, w, ub):
        q, s, r = qgemm.fused_add_rmsnorm_quant(x, r, w, 1e-5, dtype="fp8", scale_ub=ub)
        q8, s8, _ = qgemm.quantize_per_token_int8(x)
        return q, s, r, q8, s8

    eager = block(x, r.clone(), w, ub)
    r2 = r.clone()
    compiled = torch.compile(block, fullgraph=True)(x, r2, w, ub)
    for a, b in zip(eager, compiled):
        assert_bits_equal(a, b, "compiled vs eager")
    assert_bits_equal(r2, eager[2], "residual updated in place under torch.compile")


def test_cuda_graph_capture_and_replay():
    x = torch.randn(33, 4096, device="cuda", dtype=torch.bfloat16)
    scale = torch.tensor([0.02], device="cuda")
    ub = torch.tensor([10.0], device="cuda")
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):  # warm up outside the graph
        qgemm.quantize_per_tensor_fp8(x, scale)
        qgemm.quantize_per_token_fp8(x, ub)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        q_static = qgemm.quantize_per_tensor_fp8(x, scale)
        q_tok, s_tok = qgemm.quantize_per_token_fp8(x, ub)
    # New inputs and scales in the same buffers: the replay reads them on the device.
    x.copy_(torch.randn_like(x))
    scale.fill_(0.005)
    ub.fill_(0.25)
    graph.replay()
    torch.cuda.synchronize()
    assert_bits_equal(q_static, ref.quantize_per_tensor_fp8(x, scale), "static fp8 after replay")
    q_ref, s_ref = ref.quantize_per_token_fp8(x, ub)
    assert_bits_equal(q_tok, q_ref, "per-token fp8 after replay")
    assert_bits_equal(s_tok, s_ref, "per-token scale after replay")


def test_plan_table_is_printable():
    ext = qgemm._ext.extension()
    lines = [f"K={k}: {ext.quant_plan(k)}" for k in (1, 1024, 4096, 8192, 16384, 28672, 32776)]
    assert "warp per row" in lines[0] and "re-read" in lines[-1]
    # Llama-3-70B's down_proj input: read once by the per-token kernels, streamed by the fused one
    assert lines[-2].startswith("K=28672: CTA of 896 threads per row, 4 chunks") and "fused: CTA of 1024" in lines[-2]
