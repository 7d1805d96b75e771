// sm90a W8A8 kernels: cutlass::float_e4m3_t operands, cutlass::half_t output (every dispatch-table row).
#include "scaled_mm_sm90_tu.cuh"

QGEMM_SM90_SCALED_MM_TU(e4m3_f16, cutlass::float_e4m3_t, cutlass::half_t)
