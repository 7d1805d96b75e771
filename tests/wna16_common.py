"""Helpers the W4A16 / W8A16 GPU tests share (sm80 and sm90a paths)."""
import torch

import qgemm


def make_weight(n, k, scheme, zero_point, group, dtype, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    w = torch.randn(n, k, generator=g) * 0.05
    return qgemm.quantize(w.to(dtype), scheme, group, zero_point=zero_point, scale_dtype=dtype)


def reference(x, qw, bias=None):
    """float64 x @ dequant(W)^T (+ bias) on the GPU."""
    y = x.double() @ qw.dequantize().double().t().cuda()
    return y if bias is None else y + bias.double()


def rel_err(out, ref):
    assert not torch.isnan(out).any(), "NaN in the output: an element was not written"
    return ((out.double() - ref).norm() / ref.norm().clamp_min(1e-30)).item()


def check_compile_and_graph(x, pw, bias):
    """qgemm.linear(x, pw, bias) under torch.compile(fullgraph=True) and in a replayed CUDA
    graph equals the eager call bit for bit; returns the eager output."""
    ref = qgemm.linear(x, pw, bias)
    compiled = torch.compile(lambda a: qgemm.linear(a, pw, bias), fullgraph=True)
    assert torch.equal(compiled(x), ref)
    g = torch.cuda.CUDAGraph()
    static_x = x.clone()
    with torch.cuda.graph(g):
        static_out = qgemm.linear(static_x, pw, bias)
    static_x.copy_(x)
    g.replay()
    torch.cuda.synchronize()
    assert torch.equal(static_out, ref)
    return ref
