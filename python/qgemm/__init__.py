"""qgemm: quantized GEMM kernels for LLM inference on NVIDIA GPUs.

Schemes (the math) and formats (the bytes) are described in README.md. Reference
implementations live in qgemm.reference; kernel formats in qgemm.kernel_format.
"""
from qgemm._ext import KernelAvailability, compiled_archs, cuda_available
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
from qgemm.quantized import QuantizedWeight
from qgemm.reference.quantize import quantize
from qgemm.schemes import SCHEMES, get_scheme

__version__ = "0.1.0"

__all__ = [
    "KernelAvailability", "QuantizedWeight", "SCHEMES", "compiled_archs", "cuda_available",
    "export_awq", "export_gptq", "export_hqq", "export_plain", "get_scheme", "import_awq",
    "import_gptq", "import_hqq", "import_plain", "quantize",
]
