// Explicit instantiations of the SM80-class weight-only GEMM (W4A16 / W8A16) on the
// fragment formats: dtype {fp16, bf16} x weight kind {int4, uint4, int8} x the tile configs
// of include/qgemm/gemm/wna16_dispatch.hpp. Compiled once per architecture in the build's
// list; the k64 tiling is in wna16_gemm_k64.cu (a second TU: the two build in parallel).
#define QGEMM_WNA16_EXTERN_K64
#include "qgemm/gemm/wna16_launch.cuh"

namespace qgemm {
QGEMM_WNA16_FOR_EACH_KERNEL(QGEMM_WNA16_INSTANTIATE, WeightTiling::kFragment)
}  // namespace qgemm
