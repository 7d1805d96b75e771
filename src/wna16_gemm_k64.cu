// Explicit instantiations of the SM80-class weight-only GEMM on the k64 formats (int4_k64,
// int8_k64: the sm90a kernel's weights, read here at decode sizes and on GPUs without the
// sm90a kernel). Same list as wna16_gemm.cu, k64 tiling.
#define QGEMM_WNA16_EXTERN_FRAGMENT
#include "qgemm/gemm/wna16_launch.cuh"

namespace qgemm {
QGEMM_WNA16_FOR_EACH_KERNEL(QGEMM_WNA16_INSTANTIATE, WeightTiling::kK64)
}  // namespace qgemm
