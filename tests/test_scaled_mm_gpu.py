"""W8A8 scaled_mm on the GPU against qgemm.reference.scaled_mm.

int8: bit-identical to the reference (exact int32 accumulation; the epilogue rounds each
step as the reference does). fp8: within a relative bound (fp32 fast accumulation in the
tensor cores against an exact float64 dot product).
"""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qgemm import ops, w8a8
from qgemm.reference.scaled_mm import scaled_mm as ref_scaled_mm
from scaled_mm_common import F8, FP8_REL_BOUND, I8, OUT, _check, _check_large_k_int32_accumulation, _problem

pytestmark = pytest.mark.gpu

M_VALUES = [1, 7, 16, 17, 64, 65, 255, 256, 1024, 4097]


def _paths():
    got = []
    for path in ("sm90", "sm80"):
        try:
            w8a8.FORCE_PATH = path
            w8a8.resolve_path(I8)
            got.append(path)
        except RuntimeError:
            pass
        finally:
            w8a8.FORCE_PATH = None
    return got


PATHS = _paths() if torch.cuda.is_available() else []


@pytest.fixture(autouse=True)
def poison_outputs():
    ops.POISON_OUTPUTS = True
    yield
    ops.POISON_OUTPUTS = False
    w8a8.FORCE_PATH = None
    w8a8.FORCE_CONFIG = None


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [I8, F8])
@pytest.mark.parametrize("out_dtype", OUT)
def test_every_m_bucket(path, dtype, out_dtype):
    w8a8.FORCE_PATH = path
    for m in M_VALUES:
        for a_tok, b_ch, bias in ((True, True, True), (False, False, False), (True, False, True)):
            _check(*_problem(m, 320, 512, dtype, out_dtype, a_tok, b_ch, bias, None, seed=m))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("azp", ["token", "tensor"])
def test_int8_activation_zero_point(path, azp):
    w8a8.FORCE_PATH = path
    for m in (1, 16, 33, 300, 2048):
        _check(*_problem(m, 256, 384, I8, torch.bfloat16, True, True, m % 2 == 0, azp, seed=m))


@pytest.mark.parametrize("path", PATHS)
def test_every_table_row(path):
    # Each compiled row, including those the dispatch never picks, on awkward shapes.
    w8a8.FORCE_PATH = path
    rows = w8a8.table_rows(I8)
    assert rows and w8a8.table_rows(F8) == rows
    for row in range(len(rows)):
        w8a8.FORCE_CONFIG = row
        for dtype in (I8, F8):
            for m, n, k in ((1, 8, 16), (37, 200, 4112), (300, 1032, 1024)):
                _check(*_problem(m, n, k, dtype, torch.float16, True, True, True,
                                 "token" if dtype == I8 else None, seed=row))


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=25)
@given(m=st.integers(1, 600), n8=st.integers(1, 160), k16=st.integers(1, 96),
       fp8=st.booleans(), bf16=st.booleans(), a_tok=st.booleans(), b_ch=st.booleans(),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_random_shapes(path, m, n8, k16, fp8, bf16, a_tok, b_ch, bias, seed):
    w8a8.FORCE_PATH = path
    args, kw = _problem(m, 8 * n8, 16 * k16, F8 if fp8 else I8,
                        torch.bfloat16 if bf16 else torch.float16, a_tok, b_ch, bias, None, seed)
    _check(args, kw)


@pytest.mark.parametrize("path", PATHS)
def test_large_k_int32_accumulation(path):
    w8a8.FORCE_PATH = path
    _check_large_k_int32_accumulation()


def test_opcheck_compile_and_graph():
    (a, b, sa, sb, od), kw = _problem(16, 256, 512, I8, torch.float16, True, True, True, "token")
    colsum = b.sum(1, dtype=torch.int32).view(1, -1)
    torch.library.opcheck(torch.ops.qgemm.scaled_mm.default,
                          (a, b, sa, sb, od, kw["bias"], kw["azp"], colsum, 0, -1))
    ops.POISON_OUTPUTS = False
    f = torch.compile(lambda a_: w8a8.scaled_mm(a_, b, sa, sb, od, bias=kw["bias"]), fullgraph=True)
    eager = w8a8.scaled_mm(a, b, sa, sb, od, bias=kw["bias"])
    assert torch.equal(f(a), eager)
    static_a = a.clone()
    w8a8.scaled_mm(static_a, b, sa, sb, od)  # warm up outside the capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        y = w8a8.scaled_mm(static_a, b, sa, sb, od)
    static_a.copy_(torch.flip(a, [0]))
    graph.replay()
    assert torch.equal(y, w8a8.scaled_mm(static_a, b, sa, sb, od))


def test_m_zero():
    (a, b, sa, sb, od), _ = _problem(1, 64, 64, I8, torch.float16, False, True, False, None)
    out = w8a8.scaled_mm(a[:0], b, sa, sb, od)
    assert out.shape == (0, 64)


@pytest.mark.parametrize("kind,sym", [("int8", True), ("int8", False), ("fp8", True)])
@pytest.mark.parametrize("dtype", OUT)
def test_w8a8_linear_is_quantize_then_scaled_mm(kind, sym, dtype):
    # The module = the reference per-token quantizer + the reference scaled_mm, exactly
    # for int8 (both steps bit-exact), within the fp8 bound for fp8.
    from qgemm.nn import W8A8Linear
    from qgemm.reference import activation_quant as ref_aq

    torch.manual_seed(0)
    lin = torch.nn.Linear(512, 192, bias=True).to(dtype).cuda()
    mod = W8A8Linear.from_linear(lin, kind, act_symmetric=sym)
    x = torch.randn(3, 11, 512, device="cuda").to(dtype)
    y = mod(x)
    x2 = x.reshape(-1, 512)
    kw = {}
    if kind == "fp8":
        q, s = ref_aq.quantize_per_token_fp8(x2)
    else:
        q, s, zp = ref_aq.quantize_per_token_int8(x2, symmetric=sym)
        if not sym:
            kw["azp"] = zp
    want = ref_scaled_mm(q, mod.weight_q, s, mod.weight_scale, dtype, bias=lin.bias.detach(), **kw)
    assert y.shape == (3, 11, 192)
    _close = torch.equal if kind == "int8" else \
        (lambda a, b: ((a.double() - b.double()).norm() / b.double().norm()).item() < FP8_REL_BOUND)
    assert _close(y.reshape(-1, 192), want)
    # and it approximates the 16-bit layer (quantization error only)
    dense = lin(x).double()
    err = ((y.double() - dense).norm() / dense.norm()).item()
    assert err < (0.02 if kind == "int8" else 0.06), err
