// Instantiations of the tiled-format dequantizer for the extension.
#include "ops.hpp"
#include "qgemm/layout/dequantize.cuh"
#include "tiled_formats.hpp"

namespace qgemm::ops {

int dequantize_tiled_cuda(TiledFormat f, int dtype, const void* packed, const void* scales,
                          const void* zeros, float zero, int64_t N, int64_t K, int group_size,
                          void* out, int64_t ldo, uintptr_t stream) {
  auto s = reinterpret_cast<cudaStream_t>(stream);
  return visit_tiled_format(f, [&](auto fmt) {
    using F = decltype(fmt);
    const Status st =
        dtype == int(DType::kFloat16)
            ? layout::dequantize_tiled<F, __half>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s)
            : layout::dequantize_tiled<F, __nv_bfloat16>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s);
    return int(st);
  });
}

}  // namespace qgemm::ops
