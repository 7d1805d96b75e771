"""Reference implementations: plain torch, float32, written for clarity.

Kernels are tested against these, never against themselves.
"""
from .fpx import fpx_decode, fpx_encode
from .quantize import dequantize, quantize
