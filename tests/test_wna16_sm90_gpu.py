"""sm90a W4A16 / W8A16 (RS wgmma on int4_k64 / int8_k64) against the float64 reference of
the quantized weights.

Runs only on an sm_90 device with a build that includes 90a. Every config row of
kWna16Sm90Configs is forced in turn (ops.SM90_CONFIG); outputs are NaN-poisoned.
"""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import qgemm
from qgemm import _ext, ops
from qgemm import kernel_format as kf

from wna16_common import check_compile_and_graph, make_weight as _weight, reference as _reference, rel_err as _rel_err

pytestmark = pytest.mark.gpu

REL_BOUND = {torch.float16: 2e-3, torch.bfloat16: 1.5e-2}
SCHEMES = [("int4", "int"), ("uint4", "int"), ("uint4", "float"), ("int8", "int")]
M_VALUES = [1, 17, 63, 64, 65, 255, 256, 1023, 4097]
NUM_CONFIGS = 5  # rows of kWna16Sm90Configs (include/qgemm/gemm/wna16_dispatch.hpp)
_DTYPE_CODE = {torch.float16: 0, torch.bfloat16: 1}
DISPATCH_SCHEDULE = (-1, 1, 1)  # the binding's (decomposition, splits, deterministic): the dispatch's


def _k64(scheme: str) -> str:
    return "int8_k64" if scheme == "int8" else "int4_k64"


def _fragment(scheme: str) -> str:
    return "int8_fragment" if scheme == "int8" else "int4_fragment"


def _sm90_available():
    if not torch.cuda.is_available() or torch.cuda.get_device_capability() != (9, 0):
        return False
    return "90a" in _ext.compiled_archs()


requires_sm90 = pytest.mark.skipif(not _sm90_available(), reason="needs an sm_90 GPU and a 90a build")


@pytest.fixture(autouse=True)
def sm90_path(monkeypatch):
    monkeypatch.setattr(ops, "POISON_OUTPUTS", True)
    monkeypatch.setattr(ops, "FORCE_PATH", "sm90")
    monkeypatch.setattr(ops, "SM90_CONFIG", None)
    yield


def _check(x, qw, pw, bias, dtype, what):
    out = qgemm.linear(x, pw, bias)
    assert out.shape == (x.shape[0], qw.shape[0]) and out.dtype == dtype
    err = _rel_err(out, _reference(x, qw, bias))
    assert err < REL_BOUND[dtype], f"{what}: rel err {err:.2e}"


@requires_sm90
@pytest.mark.parametrize("config", range(NUM_CONFIGS))
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("scheme,zero_point", SCHEMES)
@pytest.mark.parametrize("group", [64, 128, -1])
def test_every_config_every_m(monkeypatch, config, dtype, scheme, zero_point, group):
    monkeypatch.setattr(ops, "SM90_CONFIG", config)
    n, k = 320, 1024  # 5 n64 blocks: the last tile (128 or 256 rows) is partly outside N
    qw = _weight(n, k, scheme, zero_point, group, dtype, seed=config)
    pw = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme))
    bias = torch.randn(n, device="cuda").to(dtype)
    for m in M_VALUES:
        x = torch.randn(m, k, device="cuda").to(dtype)
        for b in (None, bias):
            _check(x, qw, pw, b, dtype, f"config {config} m={m} bias={b is not None}")


@requires_sm90
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("n,k", [(64 * 3, 128), (64 * 5, 8192), (8192, 128), (8192, 8192)])
@pytest.mark.parametrize("group", [64, 128, -1])
def test_shapes(dtype, n, k, group):
    for scheme, zp in SCHEMES:
        qw = _weight(n, k, scheme, zp, group, dtype, seed=n + k)
        pw = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme))
        bias = torch.randn(n, device="cuda").to(dtype)
        for m in (1, 65, 1023):
            x = torch.randn(m, k, device="cuda").to(dtype)
            _check(x, qw, pw, bias, dtype, f"{scheme}/{zp} n={n} k={k} g={group} m={m}")


@requires_sm90
@pytest.mark.parametrize("config", range(NUM_CONFIGS))
def test_exact_on_integer_grid(monkeypatch, config):
    # Codes, scales (powers of two) and activations on a grid: fp32 accumulation is exact
    # in any order (stream-K splits included), so the kernel must equal the exact
    # reference rounded once to fp16. g = K: per-channel (int8 there scales in the epilogue).
    monkeypatch.setattr(ops, "SM90_CONFIG", config)
    n, k = 192, 256
    gen = torch.Generator().manual_seed(config)
    for scheme, g in [("int4", 64), ("uint4", 64), ("int8", 64), ("int4", k), ("int8", k)]:
        lo, hi = {"int4": (-8, 8), "uint4": (0, 16), "int8": (-127, 128)}[scheme]
        codes = torch.randint(lo, hi, (n, k), generator=gen, dtype=torch.uint8 if scheme == "uint4" else torch.int8)
        scales = torch.pow(2.0, torch.randint(-4, 0, (n, k // g), generator=gen).float()).half()
        zeros = torch.randint(0, 16, (n, k // g), generator=gen).half() if scheme == "uint4" else None
        qw = qgemm.QuantizedWeight(scheme, g, codes, scales, zeros)
        pw = qgemm.prepack(qw, "cuda", torch.float16, format=_k64(scheme))
        x = torch.randint(-3, 4, (77, k), generator=gen).half().cuda()
        out = qgemm.linear(x, pw)
        ref = _reference(x, qw).half()  # exact sum, rounded once to the output type
        assert torch.equal(out, ref), f"{scheme} g{g}: max diff {(out.double() - ref.double()).abs().max()}"


@requires_sm90
@given(nt=st.integers(1, 12), kt=st.integers(1, 16), m=st.integers(1, 600),
       scheme=st.sampled_from(SCHEMES), group=st.sampled_from([64, 128, -1]), bf16=st.booleans(),
       seed=st.integers(0, 2**16))
@settings(max_examples=40)
def test_random_shapes(nt, kt, m, scheme, group, bf16, seed):
    dtype = torch.bfloat16 if bf16 else torch.float16
    n, k = 64 * nt, 128 * kt
    if group != -1 and k % group:
        group = -1
    qw = _weight(n, k, scheme[0], scheme[1], group, dtype, seed)
    pw = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme[0]))
    x = torch.randn(m, k, device="cuda").to(dtype)
    _check(x, qw, pw, None, dtype, f"n={n} k={k} m={m}")


@requires_sm90
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_ldx_ldo_through_the_binding(dtype):
    # Strided x (ldx > K) and out (ldo > N) straight through the extension; the padding
    # of out must stay untouched.
    n, k, m, g = 192, 512, 100, 128
    qw = _weight(n, k, "uint4", "int", g, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format="int4_k64")
    ldx, ldo = k + 64, n + 72
    xbuf = torch.randn(m, ldx, device="cuda").to(dtype)
    x = xbuf[:, :k]
    obuf = torch.full((m, ldo), 7.0, device="cuda", dtype=dtype)
    ext = _ext.extension()
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    for config in range(NUM_CONFIGS):
        obuf.fill_(float("nan"))
        obuf[:, n:] = 7.0
        ws = torch.empty(ext.wna16_sm90_workspace_bytes(m, n, k, sms, config, *DISPATCH_SCHEDULE), dtype=torch.uint8,
                         device="cuda")
        st_ = ext.wna16_sm90_gemm(_DTYPE_CODE[dtype], 1, x.data_ptr(), ldx, pw.packed.data_ptr(),
                                  pw.scales.data_ptr(), pw.zeros.data_ptr(), 0, obuf.data_ptr(), ldo, m, n, k, g,
                                  ws.data_ptr(), ws.numel(), sms, config, *DISPATCH_SCHEDULE, _ext.current_stream())
        assert st_ == 0
        assert _rel_err(obuf[:, :n], _reference(x, qw)) < REL_BOUND[dtype]
        assert torch.all(obuf[:, n:] == 7.0), "wrote past N into the row padding"
        # A short workspace is refused, never overrun.
        if ws.numel():
            st_ = ext.wna16_sm90_gemm(_DTYPE_CODE[dtype], 1, x.data_ptr(), ldx, pw.packed.data_ptr(),
                                      pw.scales.data_ptr(), pw.zeros.data_ptr(), 0, obuf.data_ptr(), ldo, m, n, k,
                                      g, ws.data_ptr(), ws.numel() - 1, sms, config, *DISPATCH_SCHEDULE,
                                      _ext.current_stream())
            assert st_ == 3


@requires_sm90
@pytest.mark.parametrize("scheme,kind", [("int4", 0), ("int8", 2)])
def test_group_32_is_refused_with_unsupported(scheme, kind):
    n, k = 128, 256
    qw = _weight(n, k, scheme, "int", 32, torch.float16)
    with pytest.raises(Exception, match="multiple of 64"):
        qgemm.prepack(qw, "cuda", torch.float16, format=_k64(scheme))
    # Through the binding: kUnsupported (2), so callers fall back to the sm80 kernel.
    pw = qgemm.prepack(qw, "cuda", torch.float16)
    assert pw.format == _fragment(scheme)
    ext = _ext.extension()
    x = torch.randn(4, k, device="cuda").half()
    out = torch.empty(4, n, device="cuda").half()
    st_ = ext.wna16_sm90_gemm(0, kind, x.data_ptr(), k, pw.packed.data_ptr(), pw.scales.data_ptr(), 0, 0,
                              out.data_ptr(), n, 4, n, k, 32, 0, 0, 132, 0, *DISPATCH_SCHEDULE, _ext.current_stream())
    assert st_ == 2


@requires_sm90
@pytest.mark.parametrize("schedule", [("heuristic", 1, "slots"), ("data_parallel", 1, "slots"),
                                      ("split_k", 3, "slots"), ("stream_k", 1, "slots"), ("split_k", 3, "turnstile"),
                                      ("stream_k", 1, "turnstile"), ("stream_k", 1, "arrival")])
@pytest.mark.parametrize("config", [1, 4])
def test_forced_schedules(monkeypatch, schedule, config):
    # Every decomposition of the stream-K rows on shapes with more tiles than fit one wave
    # and with fewer (peers share tiles: 512 x 8192 at 300 tokens on row 1 puts ~13 peers on
    # a tile); the peer-slot and turnstile reductions repeat bit for bit.
    dtype = torch.float16
    monkeypatch.setattr(ops, "SM90_CONFIG", config)
    monkeypatch.setattr(ops, "SM90_SCHEDULE", schedule)
    for n, k, m in [(256 * 160, 1024, 64), (512, 8192, 300)]:
        qw = _weight(n, k, "int4", "int", 128, dtype)
        pw = qgemm.prepack(qw, "cuda", dtype, format="int4_k64")
        x = torch.randn(m, k, device="cuda").to(dtype)
        out = qgemm.linear(x, pw)
        err = _rel_err(out, _reference(x, qw))
        assert err < REL_BOUND[dtype], f"{schedule} row {config} {n}x{k} M={m}: rel err {err:.2e}"
        if schedule[2] != "arrival":
            assert torch.equal(qgemm.linear(x, pw), out), f"{schedule}: not deterministic"


@requires_sm90
@pytest.mark.parametrize("scheme,group,dtype", [("int4", 128, torch.float16), ("int8", -1, torch.bfloat16)])
def test_dispatch_stream_k_band(scheme, group, dtype):
    # The shapes the dispatch runs stream-K on by itself (one wave filling half to 70 % of
    # the SMs: 80 tiles of 128 x 256 at 256 tokens), against the reference, and repeatable.
    n, k, m = 10240, 1024, 256
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    if not (sms <= 2 * (n // 128) and 10 * (n // 128) < 7 * sms):
        pytest.skip(f"{n // 128} tiles are outside the stream-K band on {sms} SMs")
    kind = {"int4": 0, "int8": 2}[scheme]
    assert _ext.extension().wna16_sm90_schedule(m, n, k, sms, -1, kind) == ops.SM90_DECOMPOSITIONS.index("stream_k")
    qw = _weight(n, k, scheme, "int", group, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme))
    x = torch.randn(m, k, device="cuda").to(dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    _check(x, qw, pw, bias, dtype, f"{scheme} stream-K band")
    assert torch.equal(qgemm.linear(x, pw, bias), qgemm.linear(x, pw, bias))


@requires_sm90
@pytest.mark.parametrize("scheme,zero_point,dtype", [("int4", "int", torch.float16), ("uint4", "float", torch.bfloat16)])
def test_dispatch_stream_k_across_waves(scheme, zero_point, dtype):
    # 4-bit weights where two waves of 256 x 64 tiles leave the second 70 % full (the 70B
    # gate_up's case at 64 tokens): the dispatch runs stream-K (int8 keeps the heuristic),
    # against the reference, with bias, repeatable.
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    n, k, m = (sms + (7 * sms + 9) // 10) * 256, 1024, 64
    ext = _ext.extension()
    assert ext.wna16_sm90_schedule(m, n, k, sms, -1, 0) == ops.SM90_DECOMPOSITIONS.index("stream_k")
    assert ext.wna16_sm90_schedule(m, n, k, sms, -1, 2) == 0
    qw = _weight(n, k, scheme, zero_point, 128, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format="int4_k64")
    x = torch.randn(m, k, device="cuda").to(dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    _check(x, qw, pw, bias, dtype, f"{scheme} stream-K across waves")
    assert torch.equal(qgemm.linear(x, pw, bias), qgemm.linear(x, pw, bias))


@requires_sm90
def test_bad_schedule_is_refused(monkeypatch):
    qw = _weight(128, 256, "int4", "int", 128, torch.float16)
    pw = qgemm.prepack(qw, "cuda", torch.float16, format="int4_k64")
    x = torch.randn(4, 256, device="cuda").half()
    for bad in [("streamk", 1, True), ("split_k", 0, True), ("stream_k", 4, True), "stream_k", ("stream_k", 1, "fast")]:
        monkeypatch.setattr(ops, "SM90_SCHEDULE", bad)
        with pytest.raises(ValueError, match="SM90_SCHEDULE"):
            qgemm.linear(x, pw)
    # Past the Python check, the launcher refuses it (kInvalidArgument) and writes nothing.
    ext = _ext.extension()
    out = torch.full((4, 128), 7.0, device="cuda").half()
    for decomposition, splits in [(7, 1), (2, 0), (3, 4)]:
        st_ = ext.wna16_sm90_gemm(0, 0, x.data_ptr(), 256, pw.packed.data_ptr(), pw.scales.data_ptr(), 0, 0,
                                  out.data_ptr(), 128, 4, 128, 256, 128, 0, 0, 132, -1, decomposition, splits, 1,
                                  _ext.current_stream())
        assert st_ == 1
    assert torch.all(out == 7.0)


@requires_sm90
def test_opcheck_compile_and_graphs():
    n, k, dtype = 256, 512, torch.bfloat16
    qw = _weight(n, k, "uint4", "float", 128, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format="int4_k64")
    x = torch.randn(33, k, device="cuda").to(dtype)
    bias = torch.randn(n, device="cuda").to(dtype)
    torch.library.opcheck(ops.wna16_sm90_gemm, (x, pw.packed, pw.scales, pw.zeros, bias, pw.kind, 128, -1))
    check_compile_and_graph(x, pw, bias)


@requires_sm90
@pytest.mark.parametrize("scheme", ["uint4", "int8"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_matches_sm80_kernel_closely(scheme, dtype):
    # Same dequantized 16-bit weights (bit-identical per element by construction); only the
    # fp32 accumulation order differs.
    n, k = 512, 2048
    qw = _weight(n, k, scheme, "int", 128, dtype)
    pw80 = qgemm.prepack(qw, "cuda", dtype, format=_fragment(scheme))
    pw90 = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme))
    x = torch.randn(300, k, device="cuda").to(dtype)
    out90 = qgemm.linear(x, pw90)
    ops.FORCE_PATH = "fused"
    out80 = qgemm.linear(x, pw80)
    ops.FORCE_PATH = "sm90"
    assert _rel_err(out90, out80.double()) < 1e-3


@pytest.mark.parametrize("n,k", [(64, 64), (192, 128), (4096, 256)])
@pytest.mark.parametrize("signed", [True, False])
def test_gpu_int4_k64_repack_equals_host_packer(n, k, signed):
    if not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    gen = torch.Generator().manual_seed(n + k)
    if signed:
        codes = torch.randint(-8, 8, (n, k), generator=gen, dtype=torch.int8)
    else:
        codes = torch.randint(0, 16, (n, k), generator=gen, dtype=torch.uint8)
    host = kf.pack_int4_k64(codes)
    gpu = kf.pack_int4_k64(codes.cuda())
    assert torch.equal(gpu.cpu(), host)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("group", [64, 128, -1])
def test_k64_dequantize_and_linear_t(monkeypatch, scheme, group):
    # The dequantizer reads the k64 formats on any GPU: bit-identical to the fragment
    # formats' (both compute (u - z) * s in fp32 and round once), and linear_t runs on them.
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    n, k, dtype = 192, 640, torch.bfloat16
    qw = _weight(n, k, scheme[0], scheme[1], group, dtype)
    pw64 = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme[0]))
    pw16 = qgemm.prepack(qw, "cuda", dtype, format=_fragment(scheme[0]))
    d64 = ops.wna16_dequantize(pw64.packed, pw64.scales, pw64.zeros, pw64.kind, pw64.group_size)
    d16 = ops.wna16_dequantize(pw16.packed, pw16.scales, pw16.zeros, pw16.kind, pw16.group_size)
    assert d64.shape == (n, k) and torch.equal(d64, d16)
    assert _rel_err(d64.cpu(), qw.dequantize().double()) < 2 ** -9  # bf16 rounding of each value
    grad = torch.randn(7, n, device="cuda").to(dtype)
    gt = qgemm.linear_t(grad, pw64)
    assert _rel_err(gt, grad.double() @ qw.dequantize().double().cuda()) < REL_BOUND[dtype]


@requires_sm90
@pytest.mark.parametrize("scheme", ["int4", "int8"])
def test_sm90_backward_gives_the_activation_gradient(scheme):
    n, k, dtype = 256, 512, torch.float16
    qw = _weight(n, k, scheme, "int", 128, dtype)
    pw = qgemm.prepack(qw, "cuda", dtype, format=_k64(scheme))
    x = torch.randn(9, k, device="cuda", dtype=dtype, requires_grad=True)
    qgemm.linear(x, pw).float().sum().backward()
    expect = torch.ones(9, n, device="cuda").double() @ qw.dequantize().double().cuda()
    assert _rel_err(x.grad, expect) < REL_BOUND[dtype]


@requires_sm90
def test_default_prepack_on_sm90_reads_k64_where_it_can(monkeypatch):
    # The default dispatch: groups of 64 or more (or per channel) get the scheme's k64
    # format and the sm90a kernel at every M; g = 32 keeps the fragment formats.
    monkeypatch.setattr(ops, "FORCE_PATH", None)
    n, k, dtype = 320, 768, torch.float16
    for scheme, zp, group, fmt in [("int4", "int", 128, "int4_k64"), ("uint4", "float", -1, "int4_k64"),
                                   ("uint4", "int", 32, "int4_fragment"), ("int8", "int", -1, "int8_k64"),
                                   ("int8", "int", 32, "int8_fragment")]:
        qw = _weight(n, k, scheme, zp, group, dtype)
        pw = qgemm.prepack(qw, "cuda", dtype)
        assert pw.format == fmt
        for m in (1, 16, 17, 64, 300):
            x = torch.randn(m, k, device="cuda").to(dtype)
            _check(x, qw, pw, None, dtype, f"{scheme} g{group} m={m}")
    lin = torch.nn.Linear(k, n, bias=True).cuda().half()
    ql = qgemm.nn.QuantLinear.from_linear(lin, "int4", 128)
    assert ql.weight.format == "int4_k64"
    x = torch.randn(5, k, device="cuda", dtype=dtype)
    assert _rel_err(ql(x), lin(x).double()) < 0.1  # int4 quantization error, not the kernel's
