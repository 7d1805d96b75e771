"""Drop-in nn.Linear replacements: QuantLinear (weight-only kernels) and W8A8Linear
(8-bit weights and activations)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from qgemm._validate import check_choice, check_tensor, fail
from qgemm.ops import linear
from qgemm.packed import PackedWeight, prepack
from qgemm.quantized import QuantizedWeight
from qgemm.reference.quantize import quantize


class QuantLinear(nn.Module):
    """y = x @ W^T + b with W stored in a kernel format (int4, uint4 or int8).

    The packed tensors are buffers, so .to(), state_dict() and CUDA graphs see them.
    """

    def __init__(self, weight: PackedWeight, bias: Optional[torch.Tensor] = None):
        super().__init__()
        self.in_features, self.out_features = weight.k, weight.n
        self._meta = (weight.scheme, weight.kind, weight.group_size, weight.dtype, weight.format)
        self.register_buffer("packed", weight.packed)
        self.register_buffer("scales", weight.scales)
        self.register_buffer("zeros", weight.zeros)
        self.register_buffer("perm", weight.perm)
        self.register_buffer("bias", None if bias is None else bias.to(weight.device, weight.dtype))

    @property
    def weight(self) -> PackedWeight:
        scheme, kind, group_size, dtype, format = self._meta
        return PackedWeight(scheme, kind, self.out_features, self.in_features, group_size, dtype,
                            self.packed, self.scales, self.zeros, self.perm, format)

    @classmethod
    def from_quantized(cls, qw: QuantizedWeight, bias: Optional[torch.Tensor] = None,
                       device=None, dtype: Optional[torch.dtype] = None) -> "QuantLinear":
        return cls(prepack(qw, device, dtype), bias)

    @classmethod
    def from_linear(cls, linear_: nn.Linear, scheme: str, group_size: int = 128,
                    device=None, dtype: Optional[torch.dtype] = None) -> "QuantLinear":
        w = linear_.weight.detach()
        dtype = dtype or (w.dtype if w.dtype in (torch.float16, torch.bfloat16) else torch.float16)
        device = device or (w.device if w.is_cuda else None)
        qw = quantize(w.contiguous(), scheme, group_size, scale_dtype=dtype)
        bias = None if linear_.bias is None else linear_.bias.detach()
        return cls.from_quantized(qw, bias, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        scheme, _, group_size, dtype, format = self._meta
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"scheme={scheme}, group_size={group_size}, dtype={dtype}, format={format}")


class W8A8Linear(nn.Module):
    """y = x @ W^T + b with 8-bit weights and activations (int8 or fp8 e4m3).

    Weights are quantized once, per output channel (symmetric, float32 scales [1, N]).
    Activations are quantized per token at every call (dynamic: int8 symmetric, or
    asymmetric with act_symmetric=False, or fp8 with an optional act_scale_ub) by
    qgemm.activation_quant's kernels, then qgemm.w8a8.scaled_mm applies both scales (and
    the zero-point correction) in its epilogue. Output in x's dtype (fp16 or bf16).
    """

    def __init__(self, weight_q: torch.Tensor, weight_scale: torch.Tensor,
                 bias: Optional[torch.Tensor] = None, act_symmetric: bool = True,
                 act_scale_ub: Optional[float] = None):
        super().__init__()
        fn = "W8A8Linear"
        check_tensor(fn, "weight_q", weight_q, dtypes=(torch.int8, torch.float8_e4m3fn), ndim=2)
        n, k = weight_q.shape
        check_tensor(fn, "weight_scale", weight_scale, dtypes=(torch.float32,), shape=(1, n),
                     device=weight_q.device)
        self.in_features, self.out_features = k, n
        self.kind = "int8" if weight_q.dtype == torch.int8 else "fp8"
        if self.kind == "fp8" and not act_symmetric:
            fail(fn, "act_symmetric", act_symmetric, "must be True for fp8 (no zero point)")
        if self.kind == "int8" and act_scale_ub is not None:
            fail(fn, "act_scale_ub", act_scale_ub, "must be None for int8")
        self.act_symmetric, self.act_scale_ub = act_symmetric, act_scale_ub
        self.register_buffer("weight_q", weight_q)
        self.register_buffer("weight_scale", weight_scale)
        self.register_buffer("bias", bias)
        # sum_k W_q[n, k], for the zero-point correction of asymmetric activations.
        self.register_buffer("weight_colsum", None if act_symmetric else
                             weight_q.sum(dim=1, dtype=torch.int32).view(1, n))

    @classmethod
    def from_linear(cls, linear_: nn.Linear, dtype: str = "int8", device=None,
                    act_symmetric: bool = True, act_scale_ub: Optional[float] = None) -> "W8A8Linear":
        """Quantize an nn.Linear's weight per channel to int8 ([-127, 127]) or fp8 e4m3."""
        from qgemm.reference import activation_quant as ref  # per-row = per-channel on W

        check_choice("W8A8Linear.from_linear", "dtype", dtype, ("int8", "fp8"))
        w = linear_.weight.detach()
        device = torch.device(device) if device is not None else w.device
        w = w.to(device).contiguous()
        if dtype == "int8":
            q, s, _ = ref.quantize_per_token_int8(w, symmetric=True)
        else:
            q, s = ref.quantize_per_token_fp8(w)
        bias = None if linear_.bias is None else linear_.bias.detach().to(device, w.dtype)
        return cls(q.contiguous(), s.view(1, -1).contiguous(), bias, act_symmetric, act_scale_ub)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from qgemm import activation_quant as aq
        from qgemm.w8a8 import scaled_mm

        lead = x.shape[:-1]
        x2 = x.reshape(-1, self.in_features).contiguous()
        azp = colsum = None
        if self.kind == "fp8":
            q, s = aq.quantize_per_token_fp8(x2, scale_ub=self.act_scale_ub)
        elif self.act_symmetric:
            q, s, _ = aq.quantize_per_token_int8(x2, symmetric=True)
        else:
            q, s, azp = aq.quantize_per_token_int8(x2, symmetric=False)
            colsum = self.weight_colsum
        bias = None if self.bias is None else self.bias.to(x.dtype)
        y = scaled_mm(q, self.weight_q, s, self.weight_scale, x.dtype, bias=bias, azp=azp,
                      b_colsum=colsum)
        return y.reshape(*lead, self.out_features)

    def extra_repr(self) -> str:
        act = "fp8" if self.kind == "fp8" else ("int8" if self.act_symmetric else "int8 asym")
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"weights={self.kind} per-channel, activations={act} per-token")


def convert_to_w8a8(model: nn.Module, dtype: str = "int8", skip=None, device=None) -> list[str]:
    """Replace every nn.Linear of `model` by a W8A8Linear, except those named by `skip`
    (default qgemm.smoothquant.DEFAULT_SKIP: o_proj and down_proj, whose inputs carry
    outliers). Returns the names of the replaced modules."""
    from qgemm.smoothquant import DEFAULT_SKIP, is_skipped

    skip = DEFAULT_SKIP if skip is None else tuple(skip)
    replaced = []
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Linear) or is_skipped(name, skip):
            continue
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, W8A8Linear.from_linear(module, dtype, device))
        replaced.append(name)
    return replaced
