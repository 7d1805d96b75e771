// Explicit instantiations of the SM80-class weight-only GEMM (W4A16 / W8A16):
// dtype {fp16, bf16} x weight kind {int4, uint4, int8} x the tile configs of
// include/qgemm/gemm/wna16_dispatch.hpp. Compiled once per architecture in the build's list.
#include "qgemm/gemm/wna16_launch.cuh"

namespace qgemm {
#define QGEMM_WNA16_INSTANTIATE(T, K, C) \
  template Status detail::wna16_run<T, K, C>(const sm80::Wna16KernelArgs&, int, cudaStream_t);
QGEMM_WNA16_FOR_EACH_KERNEL(QGEMM_WNA16_INSTANTIATE)
#undef QGEMM_WNA16_INSTANTIATE
}  // namespace qgemm
