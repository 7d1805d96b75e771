// sm80-class W8A8 kernels: int8_t operands, cutlass::bfloat16_t output (every dispatch-table row).
#include "scaled_mm_sm80_tu.cuh"

QGEMM_SM80_SCALED_MM_TU(i8_bf16, int8_t, cutlass::bfloat16_t)
