"""`python -m qgemm demo`: a Llama-style block, dense and quantized, side by side.

Builds one randomly initialised Llama-3-8B-shaped decoder block in torch (RMSNorm,
grouped-query attention, SwiGLU MLP; no downloads), swaps its seven linears for
qgemm.nn.QuantLinear (int4, group 128), and runs both on the same tokens: prints the
relative output error and the time of each (CUDA-graph replays) for a few token counts.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

HIDDEN, HEADS, KV_HEADS, HEAD_DIM, INTER = 4096, 32, 8, 128, 14336


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm, self.mlp_norm = RMSNorm(HIDDEN), RMSNorm(HIDDEN)
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=False)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        self.gate_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.down_proj = nn.Linear(INTER, HIDDEN, bias=False)

    def forward(self, x):  # x [T, HIDDEN], one causal sequence
        t = x.shape[0]
        h = self.attn_norm(x)
        q = self.q_proj(h).view(t, HEADS, HEAD_DIM).transpose(0, 1)
        k = self.k_proj(h).view(t, KV_HEADS, HEAD_DIM).transpose(0, 1)
        v = self.v_proj(h).view(t, KV_HEADS, HEAD_DIM).transpose(0, 1)
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + self.o_proj(a.transpose(0, 1).reshape(t, HEADS * HEAD_DIM))
        h = self.mlp_norm(x)
        return x + self.down_proj(torch.nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))


def quantized_copy(block: Block, scheme: str, group_size: int) -> Block:
    from qgemm.nn import QuantLinear
    q = copy.deepcopy(block)
    for name, mod in list(q.named_children()):
        if isinstance(mod, nn.Linear):
            setattr(q, name, QuantLinear.from_linear(mod, scheme, group_size))
    return q


def _time_ms(fn, x) -> float:
    from qgemm.bench import _time_us
    return _time_us(lambda i: fn(x)) / 1e3


def main(scheme: str = "int4", group_size: int = 128, tokens=(1, 16, 256, 2048)) -> int:
    import qgemm
    avail = qgemm.cuda_available()
    if not avail:
        print(f"qgemm demo: needs the CUDA kernels: {avail.reason}")
        return 0
    torch.manual_seed(0)
    dtype = torch.float16
    block = Block().cuda().to(dtype)
    for p in block.parameters():
        if p.dim() == 2:
            nn.init.normal_(p, std=0.02)
    qblock = quantized_copy(block, scheme, group_size)
    print(f"Llama-3-8B-shaped block, fp16, {scheme} g{group_size} weights "
          f"({sum(p.numel() for p in block.parameters()) / 1e6:.0f} M parameters)")
    print(f"{'tokens':>7} {'rel. error':>11} {'dense ms':>9} {'qgemm ms':>9} {'speedup':>8}")
    with torch.no_grad():
        for t in tokens:
            x = torch.randn(t, HIDDEN, device="cuda", dtype=dtype)
            ref, out = block(x).float(), qblock(x).float()
            err = ((out - ref).norm() / ref.norm()).item()
            dense_ms, q_ms = _time_ms(block, x), _time_ms(qblock, x)
            print(f"{t:>7} {err:>11.4f} {dense_ms:>9.3f} {q_ms:>9.3f} {dense_ms / q_ms:>7.2f}x")
    return 0
