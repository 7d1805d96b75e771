// sm90a W8A8 kernels: int8_t operands, cutlass::bfloat16_t output (every dispatch-table row).
#include "scaled_mm_sm90_tu.cuh"

QGEMM_SM90_SCALED_MM_TU(i8_bf16, int8_t, cutlass::bfloat16_t)
