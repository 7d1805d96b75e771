// sm80-class W8A8 kernels: cutlass::float_e4m3_t operands, cutlass::half_t output (every
// dispatch-table row). Compiled for sm_89+ only (fp8 mma.sync).
#include "scaled_mm_sm80_tu.cuh"

QGEMM_SM80_SCALED_MM_TU(e4m3_f16, cutlass::float_e4m3_t, cutlass::half_t)
