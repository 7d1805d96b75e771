// Dequantize a weight stored in a tiled kernel format (int4 / int8 fragment, int4_k64) into a
// dense [N, K] fp16/bf16 matrix: w = (u - z) * s, computed in fp32 and rounded once.
//
// Used by the transposed product (grad_x = grad_y @ W on the same packed weights) and
// by the large-M path (dense matrix + a 16-bit GEMM). Positions come from the format's
// own storage layout (coords), through shared memory so both sides stay coalesced.
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
//
// A CTA of 4 warps takes one 64-row tile column and 64 consecutive k (64 / kTileK tiles:
// four k16 tiles of the fragment formats, one int4_k64 block): thread t reads words
// t + 128 j of them (coalesced), decodes each value's position with the format's storage
// layout (coords) into shared memory, and the CTA writes the 64 x 64 block back as 128
// contiguous bytes per row. Memory-bound: one read of the packed bytes, one write of the
// dense matrix.
template <class Format, class T>
__global__ void __launch_bounds__(128) dequantize_tiled_kernel(
    const uint32_t* __restrict__ packed, const T* __restrict__ scales, const T* __restrict__ zeros,
    float zero, int64_t N, int64_t K, int group_size, T* __restrict__ out, int64_t ldo) {
  static_assert(Format::kTileN == 64 && 64 % Format::kTileK == 0, "64-row tiles, k tiles dividing 64");
  constexpr int kCols = 64, kPad = 8, kTiles = kCols / Format::kTileK;
  constexpr int kWords = kTiles * Format::kWordsPerTile;  // per CTA job
  static_assert(kWords % 128 == 0, "whole words per thread");
  __shared__ alignas(16) T block[64][kCols + kPad];
  const int64_t tiles_n = N / 64, k_tiles = K / Format::kTileK, k_jobs = (K + kCols - 1) / kCols;
  for (int64_t job = blockIdx.x; job < tiles_n * k_jobs; job += gridDim.x) {
    const int64_t nt = job % tiles_n, kc = (job / tiles_n) * kCols;  // first k of the job
#pragma unroll
    for (int j = 0; j < kWords / 128; ++j) {
      const int w = threadIdx.x + 128 * j;
      const int sub = w / Format::kWordsPerTile, word = w % Format::kWordsPerTile;
      const int64_t kt = kc / Format::kTileK + sub;
      if (kt >= k_tiles) continue;
      const uint32_t bits = __ldg(packed + (kt * tiles_n + nt) * Format::kWordsPerTile + word);
      // A tile lies in one group (group_size % kTileK == 0): one division per word.
      const int64_t group_row = int64_t(int(kt) * Format::kTileK / group_size) * N + nt * 64;
#pragma unroll
      for (int v = 0; v < Format::kValuesPerWord; ++v) {
        int64_t n, k;  // inside the tile: coords() of the tile-0 word
        Format::coords(word, v, 64, n, k);
        const int col = sub * Format::kTileK + int(k);
        const int64_t g = group_row + n;
        const float s = to_float(scales[g]);
        const float z = zeros ? to_float(zeros[g]) : zero;
        const float u = float((bits >> (Format::kBits * v)) & Format::kMask);
        block[n][col] = from_float<T>((u - z) * s);
      }
    }
    __syncthreads();
    // 128 threads write 64 rows x kCols values: two threads per row, 64 bytes each.
    const int row = threadIdx.x / 2, half = threadIdx.x % 2;
    const int64_t k0 = kc + half * (kCols / 2);
    T* dst = out + (nt * 64 + row) * ldo + k0;
#pragma unroll
    for (int c = 0; c < kCols / 2; c += 8)
      if (k0 + c < K)
        *reinterpret_cast<uint4*>(dst + c) = *reinterpret_cast<const uint4*>(&block[row][half * (kCols / 2) + c]);
    __syncthreads();
  }
}

template <class Format, class T>
Status dequantize_tiled(const void* packed, const void* scales, const void* zeros, float zero,
                        int64_t N, int64_t K, int group_size, void* out, int64_t ldo,
                        cudaStream_t stream) {
  if (N % Format::kTileN || K % Format::kTileK || group_size % Format::kTileK || K % group_size || ldo < K ||
      ldo % 8 || reinterpret_cast<uintptr_t>(out) % 16)
    return Status::kInvalidArgument;
  const int64_t jobs = (N / 64) * ((K + 63) / 64);
  const int blocks = int(jobs < (1 << 20) ? jobs : (1 << 20));
  dequantize_tiled_kernel<Format, T><<<blocks, 128, 0, stream>>>(
      static_cast<const uint32_t*>(packed), static_cast<const T*>(scales),
      static_cast<const T*>(zeros), zero, N, K, group_size, static_cast<T*>(out), ldo);
  return cudaGetLastError() == cudaSuccess ? Status::kSuccess : Status::kCudaError;
}

}  // namespace qgemm::layout
