// Instantiations of the tiled-format dequantizer for the extension.
#include "ops.hpp"
#include "qgemm/layout/dequantize.cuh"
#include "qgemm/layout/int4_fragment.hpp"
#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/int8_fragment.hpp"

namespace qgemm::ops {

int dequantize_tiled_cuda(TiledFormat f, int dtype, const void* packed, const void* scales,
                          const void* zeros, float zero, int64_t N, int64_t K, int group_size,
                          void* out, int64_t ldo, uintptr_t stream) {
  auto s = reinterpret_cast<cudaStream_t>(stream);
  using layout::Int4Fragment;
  using layout::Int8Fragment;
  using layout::Int4K64;
  Status st;
  if (f == TiledFormat::kInt4K64)
    st = dtype == int(DType::kFloat16)
             ? layout::dequantize_tiled<Int4K64, __half>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s)
             : layout::dequantize_tiled<Int4K64, __nv_bfloat16>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s);
  else if (f == TiledFormat::kInt4Fragment)
    st = dtype == int(DType::kFloat16)
             ? layout::dequantize_tiled<Int4Fragment, __half>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s)
             : layout::dequantize_tiled<Int4Fragment, __nv_bfloat16>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s);
  else
    st = dtype == int(DType::kFloat16)
             ? layout::dequantize_tiled<Int8Fragment, __half>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s)
             : layout::dequantize_tiled<Int8Fragment, __nv_bfloat16>(packed, scales, zeros, zero, N, K, group_size, out, ldo, s);
  return int(st);
}

}  // namespace qgemm::ops
