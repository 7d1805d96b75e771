// Dequantize a weight stored in a tiled kernel format (int4 / int8 fragment) into a
// dense [N, K] fp16/bf16 matrix: w = (u - z) * s, computed in fp32 and rounded once.
//
// Used by the transposed product (grad_x = grad_y @ W on the same packed weights) and
// by the large-M path (dense tile + a 16-bit GEMM). One thread per packed word; the
// coordinates come from the same layout functions the packers use.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "qgemm/status.hpp"

namespace qgemm::layout {

template <class T>
__device__ inline float to_float(T v);
template <>
__device__ inline float to_float<__half>(__half v) { return __half2float(v); }
template <>
__device__ inline float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
__device__ inline T from_float(float v);
template <>
__device__ inline __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// scales, zeros: [K / group_size, N]. zeros == nullptr means the constant zero `zero`
// (8 for int4 stored as q + 8, 128 for int8 stored as q + 128).
template <class Format, class T>
__global__ void dequantize_tiled_kernel(const uint32_t* __restrict__ packed, const T* __restrict__ scales,
                                        const T* __restrict__ zeros, float zero, int64_t N, int64_t K,
                                        int group_size, T* __restrict__ out, int64_t ldo) {
  const int64_t words = Format::num_words(N, K);
  for (int64_t w = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; w < words;
       w += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t bits = packed[w];
#pragma unroll
    for (int v = 0; v < Format::kValuesPerWord; ++v) {
      int64_t n, k;
      Format::coords(w, v, N, n, k);
      const int64_t g = (k / group_size) * N + n;
      const float u = float((bits >> (Format::kBits * v)) & Format::kMask);
      const float z = zeros ? to_float(zeros[g]) : zero;
      out[n * ldo + k] = from_float<T>((u - z) * to_float(scales[g]));
    }
  }
}

template <class Format, class T>
Status dequantize_tiled(const void* packed, const void* scales, const void* zeros, float zero,
                        int64_t N, int64_t K, int group_size, void* out, int64_t ldo,
                        cudaStream_t stream) {
  if (N % Format::kTileN || K % Format::kTileK || group_size <= 0 || K % group_size || ldo < K)
    return Status::kInvalidArgument;
  constexpr int kThreads = 256;
  const int64_t words = Format::num_words(N, K);
  const int64_t blocks64 = (words + kThreads - 1) / kThreads;
  const int blocks = int(blocks64 < (1 << 20) ? blocks64 : (1 << 20));
  dequantize_tiled_kernel<Format, T><<<blocks, kThreads, 0, stream>>>(
      static_cast<const uint32_t*>(packed), static_cast<const T*>(scales),
      static_cast<const T*>(zeros), zero, N, K, group_size, static_cast<T*>(out), ldo);
  return cudaGetLastError() == cudaSuccess ? Status::kSuccess : Status::kCudaError;
}

}  // namespace qgemm::layout
