// sm90a W8A16 kernels: int8_k64 weights, fp16 and bf16 activations, every row of
// kWna16Sm90Configs (include/qgemm/gemm/wna16_dispatch.hpp). A third translation unit so the
// two-core build compiles the sm90 kernels in three balanced parts.
#define QGEMM_WNA16_SM90_EXTERN_TEMPLATES
#include "qgemm/gemm/sm90_wna16_launch.cuh"

namespace qgemm {
#define QGEMM_WNA16_SM90_INSTANTIATE(T, K, C) QGEMM_WNA16_SM90_DECL(, T, K, C)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE, cutlass::half_t, WeightKind::kInt8)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE, cutlass::bfloat16_t, WeightKind::kInt8)
#undef QGEMM_WNA16_SM90_INSTANTIATE
}  // namespace qgemm
