"""Programmatic dependent launch (include/qgemm/dependent_launch.cuh): a kernel may start
while the one before it finishes and must wait for it before touching memory. A missing
or misplaced wait shows up as a kernel reading its input before the previous kernel wrote
it, so the tests chain ops whose every input is the previous kernel's output (and whose
split-K partials reuse one workspace) and require the results of PDL launches, eager and
in a replayed CUDA graph, to equal those of ordinary launches bit for bit, and to match
the float64 reference of the chain.
"""
import pytest
import torch

import qgemm

LAYERS = 12
N = K = 1024  # 8 N tiles of 128: the decode configs split K over the SMs


def _has_ext():
    try:
        from qgemm import _C  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.fixture(autouse=True)
def _restore_switch():
    before = qgemm.dependent_launch_enabled() if _has_ext() else None
    yield
    if before is not None:
        qgemm.set_dependent_launch(before)


@pytest.mark.skipif(not _has_ext(), reason="the C++ extension is not built")
def test_switch_round_trip():
    qgemm.set_dependent_launch(False)
    assert qgemm.dependent_launch_enabled() is False
    qgemm.set_dependent_launch(True)
    assert qgemm.dependent_launch_enabled() is True


def _sm90_build() -> bool:
    return (torch.cuda.is_available() and torch.cuda.get_device_capability() >= (9, 0)
            and any(a.startswith("90") for a in qgemm.compiled_archs()))


@pytest.mark.gpu
def test_active_follows_switch_and_device():
    qgemm.set_dependent_launch(True)
    assert qgemm.dependent_launch_active() is _sm90_build()
    qgemm.set_dependent_launch(False)
    assert qgemm.dependent_launch_active() is False


def _run(fn, pdl: bool, graph: bool):
    qgemm.set_dependent_launch(pdl)
    if not graph:
        out = fn()
        torch.cuda.synchronize()
        return out
    fn()  # warm-up outside the capture (workspace sizes, cached attributes)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = fn()
    out.zero_()
    g.replay()
    g.replay()  # the second replay starts while nothing of ours is left from the first
    torch.cuda.synchronize()
    return out


def _same_with_and_without_pdl(fn):
    plain = _run(fn, pdl=False, graph=False)
    assert torch.equal(_run(fn, pdl=True, graph=False), plain)
    assert torch.equal(_run(fn, pdl=True, graph=True), plain)
    return plain


@pytest.mark.gpu
@pytest.mark.parametrize("m", [1, 16, 64, 300])
@pytest.mark.parametrize("scheme,group", [("int4", 128), ("uint4", 64), ("int8", -1)])
def test_wna16_chain(scheme, group, m):
    """x -> linear(W1) -> linear(W2) -> ...: each GEMM reads the output of the kernel just
    before (the split-K reduce at M <= 64, the sm90a kernel at M = 300 where built), and no
    other kernel runs in between. Weights of std 1/sqrt(K) keep the activations ~unit."""
    dtype = torch.float16
    gen = torch.Generator(device="cpu").manual_seed(1)
    qws = [qgemm.quantize((torch.randn(N, K, generator=gen) / K ** 0.5).to(dtype), scheme, group,
                          scale_dtype=dtype) for _ in range(LAYERS)]
    pws = [qgemm.prepack(qw, "cuda", dtype) for qw in qws]
    x0 = torch.randn(m, K, generator=gen).to(dtype).cuda()

    def chain():
        x = x0
        for pw in pws:
            x = qgemm.linear(x, pw)
        return x

    out = _same_with_and_without_pdl(chain)
    ref = x0.double()
    for qw in qws:  # rounded to fp16 after each layer, as the kernels are
        ref = (ref @ qw.dequantize().double().t().cuda()).to(dtype).double()
    err = ((out.double() - ref).norm() / ref.norm()).item()
    assert err < 2e-2, f"chain of {LAYERS}: relative error {err:.2e}"


@pytest.mark.gpu
@pytest.mark.parametrize("m", [1, 16, 64, 300])
@pytest.mark.parametrize("kind", ["int8", "fp8"])
def test_w8a8_chain(kind, m):
    """Activation quantization and scaled_mm alternate, each reading what the kernel before
    it wrote: per-token, fused add + RMSNorm and static per-tensor quantization in turn."""
    from qgemm.reference import activation_quant as ref_q
    bf16 = torch.bfloat16
    gen = torch.Generator(device="cpu").manual_seed(2)
    weights = []
    for _ in range(LAYERS):
        w = torch.randn(N, K, generator=gen) / K ** 0.5  # keeps the activations ~unit
        q, s = (ref_q.quantize_per_token_int8(w)[:2] if kind == "int8" else ref_q.quantize_per_token_fp8(w))
        weights.append((q.contiguous().cuda(), s.view(1, -1).contiguous().cuda()))
    x0 = torch.randn(m, K, generator=gen).to(bf16).cuda()
    residual0 = torch.randn(m, K, generator=gen).to(bf16).cuda()
    norm_w = torch.ones(K, dtype=bf16, device="cuda")
    static_scale = torch.tensor([4.0 / (127 if kind == "int8" else 448)], device="cuda")

    def chain():
        x, residual = x0, residual0.clone()
        for i, (wq, ws) in enumerate(weights):
            if i % 3 == 0:
                q, s = (qgemm.quantize_per_token_int8(x)[:2] if kind == "int8" else qgemm.quantize_per_token_fp8(x))
            elif i % 3 == 1:
                q, s, residual = qgemm.fused_add_rmsnorm_quant(x, residual, norm_w, 1e-6, dtype=kind)
            else:
                q = (qgemm.quantize_per_tensor_int8(x, static_scale) if kind == "int8"
                     else qgemm.quantize_per_tensor_fp8(x, static_scale))
                s = static_scale
            x = qgemm.scaled_mm(q, wq, s, ws, bf16)  # the next quantizer reads it directly
        return x

    out = _same_with_and_without_pdl(chain)
    assert torch.isfinite(out).all()
    assert out.abs().amax() > 0
