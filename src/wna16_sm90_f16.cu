// sm90a W4A16 kernels: fp16 activations, int4 / uint4 int4_k64 weights, every row of
// kWna16Sm90Configs (include/qgemm/gemm/wna16_dispatch.hpp).
// The other kernels are declared extern (the inline launchers name them all).
#define QGEMM_WNA16_SM90_EXTERN_TEMPLATES
#include "qgemm/gemm/sm90_wna16_launch.cuh"

namespace qgemm {
#define QGEMM_WNA16_SM90_INSTANTIATE(T, K, C) QGEMM_WNA16_SM90_DECL(, T, K, C)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE, cutlass::half_t, WeightKind::kInt4)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE, cutlass::half_t, WeightKind::kUint4)
#undef QGEMM_WNA16_SM90_INSTANTIATE
}  // namespace qgemm
