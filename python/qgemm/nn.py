"""Drop-in nn.Linear replacement backed by the weight-only kernels."""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

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
        self._meta = (weight.scheme, weight.kind, weight.group_size, weight.dtype)
        self.register_buffer("packed", weight.packed)
        self.register_buffer("scales", weight.scales)
        self.register_buffer("zeros", weight.zeros)
        self.register_buffer("perm", weight.perm)
        self.register_buffer("bias", None if bias is None else bias.to(weight.device, weight.dtype))

    @property
    def weight(self) -> PackedWeight:
        scheme, kind, group_size, dtype = self._meta
        return PackedWeight(scheme, kind, self.out_features, self.in_features, group_size, dtype,
                            self.packed, self.scales, self.zeros, self.perm)

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
        scheme, _, group_size, dtype = self._meta
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"scheme={scheme}, group_size={group_size}, dtype={dtype}")
