// Explicit instantiations of the k64 decode GEMM (include/qgemm/gemm/k64_decode_kernel.cuh):
// dtype {fp16, bf16} x weight kind {int4, uint4, int8} x (token blocks, columns) x k64 blocks
// a scale group.
#include "qgemm/gemm/k64_decode_launch.cuh"

namespace qgemm {
QGEMM_K64_DECODE_FOR_EACH(QGEMM_K64_DECODE_INSTANTIATE)
}  // namespace qgemm
