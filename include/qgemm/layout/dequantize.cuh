// Dequantize a weight stored in a tiled kernel format (int4 / int8 fragment) into a
// dense [N, K] fp16/bf16 matrix: w = (u - z) * s, computed in fp32 and rounded once.
//
// Used by the transposed product (grad_x = grad_y @ W on the same packed weights) and
// by the large-M path (dense matrix + a 16-bit GEMM). Memory-bound, so the thread
// mapping is chosen for the writes: a thread makes the 16 values of one row n in one
// k16 tile (two 16-byte stores), a warp covers 8 rows x 4 consecutive k16 tiles, so
// each row gets 128 contiguous bytes per warp. Reads (4 words per thread) come from
// the tiles' 512-byte blocks through L1. Positions come from the format's own locate().
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
  static_assert(Format::kTileK == 16, "one thread makes one row of a k16 tile");
  const int64_t k_tiles = K / 16, row_blocks = N / 8;
  // item = ((row_block * k_quads + k_quad) * 32 + lane): lane = 8 rows x 4 k-tiles.
  const int64_t k_quads = (k_tiles + 3) / 4;
  const int64_t items = row_blocks * k_quads * 32;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < items;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int lane = int(i % 32);
    const int64_t rest = i / 32;
    const int64_t n = (rest / k_quads) * 8 + lane % 8;
    const int64_t kt = (rest % k_quads) * 4 + lane / 8;
    if (kt >= k_tiles) continue;
    const int64_t g = (kt * 16 / group_size) * N + n;  // group_size >= 32: one group per tile
    const float s = to_float(scales[g]);
    const float z = zeros ? to_float(zeros[g]) : zero;
    alignas(16) T vals[16];
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      int64_t word;
      int v;
      Format::locate(n, kt * 16 + j, N, word, v);
      const uint32_t u = (__ldg(packed + word) >> (Format::kBits * v)) & Format::kMask;
      vals[j] = from_float<T>((float(u) - z) * s);
    }
    uint4* dst = reinterpret_cast<uint4*>(out + n * ldo + kt * 16);
    dst[0] = reinterpret_cast<const uint4*>(vals)[0];
    dst[1] = reinterpret_cast<const uint4*>(vals)[1];
  }
}

template <class Format, class T>
Status dequantize_tiled(const void* packed, const void* scales, const void* zeros, float zero,
                        int64_t N, int64_t K, int group_size, void* out, int64_t ldo,
                        cudaStream_t stream) {
  if (N % Format::kTileN || K % Format::kTileK || group_size < 16 || K % group_size || ldo < K ||
      ldo % 8 || reinterpret_cast<uintptr_t>(out) % 16)
    return Status::kInvalidArgument;
  constexpr int kThreads = 256;
  const int64_t items = (N / 8) * ((K / 16 + 3) / 4) * 32;
  const int64_t blocks64 = (items + kThreads - 1) / kThreads;
  const int blocks = int(blocks64 < (1 << 20) ? blocks64 : (1 << 20));
  dequantize_tiled_kernel<Format, T><<<blocks, kThreads, 0, stream>>>(
      static_cast<const uint32_t*>(packed), static_cast<const T*>(scales),
      static_cast<const T*>(zeros), zero, N, K, group_size, static_cast<T*>(out), ldo);
  return cudaGetLastError() == cudaSuccess ? Status::kSuccess : Status::kCudaError;
}

}  // namespace qgemm::layout
