"""Reference implementations: plain torch, float32, written for clarity.

Kernels are tested against these, never against themselves.
"""
from .fpx import fpx_decode, fpx_encode
from .quantize import dequantize, quantize
from .activation_quant import (
    fused_add_rmsnorm_quant,
    quantize_per_tensor_fp8,
    quantize_per_tensor_int8,
    quantize_per_token_fp8,
    quantize_per_token_int8,
)
from .scaled_mm import scaled_mm
