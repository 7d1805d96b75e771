"""qgemm: quantized GEMM kernels for LLM inference on NVIDIA GPUs.

Schemes (the math) and formats (the bytes) are described in README.md. Reference
implementations live in qgemm.reference; kernel formats in qgemm.kernel_format.
"""
from qgemm._ext import (
    KernelAvailability,
    compiled_archs,
    cuda_available,
    dependent_launch_active,
    dependent_launch_enabled,
    set_dependent_launch,
)
from qgemm.activation_quant import (
    fused_add_rmsnorm_quant,
    quantize_per_tensor_fp8,
    quantize_per_tensor_int8,
    quantize_per_token_fp8,
    quantize_per_token_int8,
)
from qgemm.formats import (
    export_awq,
    export_gptq,
    export_hqq,
    export_plain,
    import_awq,
    import_gptq,
    import_hqq,
    import_plain,
)
from qgemm.ops import linear, linear_t
from qgemm.packed import PackedWeight, prepack, prepack_awq, prepack_gptq
from qgemm.quantized import QuantizedWeight
from qgemm.reference.quantize import quantize
from qgemm.schemes import SCHEMES, get_scheme
from qgemm.w8a8 import scaled_mm

from qgemm import nn, w8a8  # noqa: E402  (qgemm.nn.QuantLinear / W8A8Linear, qgemm.w8a8)

__version__ = "0.1.0"

__all__ = [
    "KernelAvailability", "QuantizedWeight", "SCHEMES", "compiled_archs", "cuda_available",
    "dependent_launch_active", "dependent_launch_enabled",
    "export_awq", "export_gptq", "export_hqq", "export_plain", "fused_add_rmsnorm_quant",
    "get_scheme", "import_awq",
    "import_gptq", "import_hqq", "import_plain", "linear", "linear_t", "nn", "PackedWeight",
    "prepack", "prepack_awq", "prepack_gptq", "quantize", "quantize_per_tensor_fp8",
    "quantize_per_tensor_int8", "quantize_per_token_fp8", "quantize_per_token_int8",
    "scaled_mm", "set_dependent_launch", "w8a8",
]
