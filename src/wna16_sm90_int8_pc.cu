// sm90a W8A16 kernels for per-channel int8_k64 weights with the scale applied in the
// epilogue (Sm90Wna16<..., kEpilogueScale = true>), fp16 and bf16, every row of
// kWna16Sm90Configs. A translation unit of their own so the two-core build stays balanced.
#define QGEMM_WNA16_SM90_EXTERN_TEMPLATES
#include "qgemm/gemm/sm90_wna16_launch.cuh"

namespace qgemm {
#define QGEMM_WNA16_SM90_INSTANTIATE_ES(T, K, C) QGEMM_WNA16_SM90_DECL_EPILOGUE_SCALE(, T, K, C)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE_ES, cutlass::half_t, WeightKind::kInt8)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_INSTANTIATE_ES, cutlass::bfloat16_t, WeightKind::kInt8)
#undef QGEMM_WNA16_SM90_INSTANTIATE_ES
}  // namespace qgemm
