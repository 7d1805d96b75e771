"""The W8A8 decode kernel (w8a8_decode_kernel.cuh, FORCE_PATH "decode": M <= 16,
K % 64 == 0) against qgemm.reference.scaled_mm: int8 bit-identical, fp8 within the
bound; outputs NaN-poisoned first. Also which sizes the unforced dispatch gives it."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qgemm import _ext, ops, w8a8
from scaled_mm_common import F8, I8, OUT, _check, _check_large_k_int32_accumulation, _problem

pytestmark = pytest.mark.gpu


def _decode_runs(dtype):
    if not torch.cuda.is_available():
        return False
    w8a8.FORCE_PATH = "decode"
    try:
        w8a8.resolve_path(dtype)
        return True
    except RuntimeError:
        return False
    finally:
        w8a8.FORCE_PATH = None


DTYPES = [d for d in (I8, F8) if _decode_runs(d)]


@pytest.fixture(autouse=True)
def decode_path():
    if not DTYPES:
        pytest.skip("no decode kernel for this device")
    ops.POISON_OUTPUTS = True
    w8a8.FORCE_PATH = "decode"
    yield
    ops.POISON_OUTPUTS = False
    w8a8.FORCE_PATH = None
    w8a8.FORCE_CONFIG = None


@pytest.mark.parametrize("dtype", [I8, F8])
@pytest.mark.parametrize("out_dtype", OUT)
def test_every_m(dtype, out_dtype):
    # One token block (M <= 8) and two; N = 200: the last CTA's row block is cut at 8 rows
    # (N % 64 = 8, N % 16 = 8); scales per token / tensor, per channel / tensor, bias or not.
    if dtype not in DTYPES:
        pytest.skip(f"no {dtype} decode kernel here")
    for m in range(1, 17):
        for a_tok, b_ch, bias in ((True, True, True), (False, False, False), (True, False, True)):
            _check(*_problem(m, 200, 640, dtype, out_dtype, a_tok, b_ch, bias, None, seed=m))


@pytest.mark.parametrize("azp", ["token", "tensor"])
def test_int8_activation_zero_point(azp):
    for m in (1, 8, 9, 16):
        _check(*_problem(m, 256, 1024, I8, torch.bfloat16, True, True, m % 2 == 0, azp, seed=m))


@pytest.mark.parametrize("splits", [1, 2, 5, 64])
def test_forced_splits(splits):
    # One split (the epilogue in the kernel), several (int32 / fp32 partials + the reduce
    # kernel), a split a chunk (64 splits of K = 4096), uneven last split (5).
    w8a8.FORCE_CONFIG = splits
    for dtype in DTYPES:
        for m in (1, 12):
            _check(*_problem(m, 136, 4096, dtype, torch.float16, True, True, True,
                             "token" if dtype == I8 else None, seed=splits))


def test_large_k_int32_accumulation():
    _check_large_k_int32_accumulation()  # summed over the splits here


@settings(max_examples=40)
@given(m=st.integers(1, 16), n8=st.integers(1, 160), k64=st.integers(1, 48), fp8=st.booleans(),
       bf16=st.booleans(), a_tok=st.booleans(), b_ch=st.booleans(), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_random_shapes(m, n8, k64, fp8, bf16, a_tok, b_ch, bias, seed):
    dtype = F8 if fp8 and F8 in DTYPES else I8
    args, kw = _problem(m, 8 * n8, 64 * k64, dtype, torch.bfloat16 if bf16 else torch.float16,
                        a_tok, b_ch, bias, None, seed)
    _check(args, kw)


def test_strided_activation_rows():
    # a_q a row slice of a wider buffer (lda = 2 K): the kernel reads rows at the stride.
    (a, b, sa, sb, od), kw = _problem(6, 128, 512, I8, torch.float16, True, True, False, None)
    wide = torch.zeros(6, 1024, dtype=I8, device="cuda")
    wide[:, :512] = a
    ext = _ext.extension()
    out = torch.full((6, 128), float("nan"), dtype=od, device="cuda")
    sms = _ext.num_sms(a.device)
    ws = torch.empty(max(ext.scaled_mm_workspace_bytes(6, 128, 512, 0, 0, False, sms, 3, -1), 1),
                     dtype=torch.uint8, device="cuda")
    status = ext.scaled_mm(0, 0, wide.data_ptr(), 1024, b.data_ptr(), 512, sa.data_ptr(), True, sb.data_ptr(),
                           True, 0, 0, False, 0, out.data_ptr(), 128, 6, 128, 512, ws.data_ptr(), ws.numel(),
                           sms, 3, -1, _ext.current_stream())
    assert status == 0
    ops.POISON_OUTPUTS = False
    w8a8.FORCE_PATH = "sm80"
    assert torch.equal(out, w8a8.scaled_mm(a, b, sa, sb, od))


def test_refusals():
    (a, b, sa, sb, od), _ = _problem(17, 64, 512, I8, torch.float16, True, True, False, None)
    with pytest.raises(ValueError, match="M <= 16"):
        w8a8.scaled_mm(a, b, sa, sb, od)
    (a, b, sa, sb, od), _ = _problem(4, 64, 528, I8, torch.float16, True, True, False, None)
    with pytest.raises(ValueError, match="K % 64"):
        w8a8.scaled_mm(a, b, sa, sb, od)
    # the launcher itself: M > 16 is unsupported (3), nothing written
    ext = _ext.extension()
    (a, b, sa, sb, od), _ = _problem(17, 64, 512, I8, torch.float16, True, True, False, None)
    out = torch.full((17, 64), 7.0, dtype=od, device="cuda")
    status = ext.scaled_mm(0, 0, a.data_ptr(), 512, b.data_ptr(), 512, sa.data_ptr(), True, sb.data_ptr(), True,
                           0, 0, False, 0, out.data_ptr(), 64, 17, 64, 512, 0, 0, _ext.num_sms(a.device), 3, -1,
                           _ext.current_stream())
    assert status != 0 and bool((out == 7.0).all())


def _decode_slot_fill(n, k, sms):
    """w8a8_decode_slot_fill of the unforced decode plan (w8a8_decode_launch.cuh): 32 rows a
    CTA, 4 CTAs an SM, splits to fill one wave, at least two 8-chunk stages a split."""
    slots, row_ctas = 4 * sms, -(-n // 32)
    splits = min(max(slots // row_ctas, 1), max(k // 64 // 8 // 2, 1))
    chunks = -(-(k // 64) // splits)
    ctas = row_ctas * -(-(k // 64) // chunks)
    return ctas / (-(-ctas // slots) * slots)


def test_unforced_dispatch_by_the_measured_table():
    # Where the general family is sm90, M <= full_decode_max_m (int8 1, fp8 8) on a
    # shape whose decode plan keeps >= 90 % of the CTA slots busy: the decode kernel.
    # Otherwise kScaledMmDecodeSizeRoute at M <= 16: int8 to the sm80 family where the
    # general one is sm90 (else its own); fp8 to the decode kernel where the general family
    # is sm80, else sm90's own. Larger M, K % 64 != 0 (decode) and a forced row keep the
    # general family.
    w8a8.FORCE_PATH = None
    ext = _ext.extension()
    sms = _ext.num_sms(torch.device("cuda"))

    def family(m, k, operand, config=-1, n=8192):
        return ext.scaled_mm_plan(m, n, k, operand, 1, False, sms, 0, config).split(" ")[0]
    for operand, dtype in ((0, I8), (1, F8)):
        if dtype not in DTYPES:
            continue
        general = w8a8.resolve_path(dtype)
        small = ("sm80" if dtype == I8 else
                 "decode" if general == "sm80" else general)
        full_max_m = {I8: 1, F8: 8}[dtype]
        for m, n, k in ((1, 8192, 8192), (2, 8192, 8192), (8, 8192, 28672), (1, 10240, 8192), (4, 57344, 8192),
                        (8, 64, 64)):
            full = general == "sm90" and m <= full_max_m and _decode_slot_fill(n, k, sms) >= 0.9
            assert family(m, k, operand, n=n) == ("decode" if full else small), (m, n, k)
        if sms == 132:  # H100 / H200: Llama-3-70B's o and down fill the GPU, qkv and gate_up do not
            assert [_decode_slot_fill(n, k, sms) >= 0.9 for n, k in
                    ((8192, 8192), (8192, 28672), (10240, 8192), (57344, 8192))] == [True, True, False, False]
        assert family(9, 8192, operand) == small and family(16, 28672, operand) == small
        assert family(17, 8192, operand) == general
        assert family(4, 8208, operand) == ("sm80" if small == "decode" else small)
        assert family(4, 8192, operand, 0) == general  # a forced row of the general table
    # and the unforced op at decode sizes equals the forced family it routes to (int8: exact)
    args, kw = _problem(3, 256, 1024, I8, torch.bfloat16, True, True, True, None, seed=3)
    auto = w8a8.scaled_mm(*args, **kw)
    w8a8.FORCE_PATH = "sm80"
    assert torch.equal(auto, w8a8.scaled_mm(*args, **kw))
