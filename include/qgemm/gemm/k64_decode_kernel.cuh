// Decode GEMM on the k64 weight formats (int4_k64 / int8_k64): M <= 16 tokens, mma.sync
// m16n8k16 (sm_80 and later), weights streamed from global memory straight into registers.
//
//   out^T[N, M] = W[N, K] x^T: the weights are the A operand (16 rows per warp), the tokens
//   the N = 8 columns of one or two n8 blocks (kTokBlocks).
//
// Why not the wgmma kernel at M <= 16: there the weight tile dominates and the per-k-tile
// barrier / pipeline round trip of the warp-specialized mainloop bounds the stream (~500
// cycles per k64 tile, benchmarks/results/ncu_sm90_gate_up_m64_406654b.txt). Here each warp
// needs no shared memory and no barrier: a CTA of 4 warps takes one n64 block column and a
// range of k64 tiles (split-K over blockIdx.y); warp q's lanes load their 16 (int4) or 32
// (int8) bytes of each block with 16-byte non-caching loads, kUnroll blocks in flight per
// thread, and dequantize them with K64Fragment (the same registers the wgmma kernel builds).
// x fragments come through the L1 (x is small and every warp of the SM reads it).
//
// Epilogue: one split writes out (+ bias) directly; several write fp32 partials
// [splits, M, N] that splitk_reduce.cuh sums.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include "qgemm/gemm/k64_fragment.cuh"

namespace qgemm::k64 {

struct DecodeArgs {
  const void* x;  // [M, K], row stride ldx (even), 4-byte aligned
  int64_t ldx;
  const uint8_t* w;  // k64 blocks [K/64][N/64][tile bytes]
  const void* scales;  // [K/g, N]
  const void* zeros;   // [K/g, N] (uint4)
  const void* bias;    // [N] or null
  void* out;           // [M, N], row stride ldo
  int64_t ldo;
  float* partials;     // [splits, M, N] when splits > 1
  int M, N, K, group_size;
  int tiles_per_split, splits;
};

template <class T>
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

// Weights are read once: keep them out of L1.
__device__ __forceinline__ uint4 load_stream(const uint8_t* p) {
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];\n"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

struct Regs4 {
  uint32_t r[4];
  __device__ __forceinline__ uint32_t& operator()(int i) { return r[i]; }
};

template <class T, WeightKind kKind, int kTokBlocks>
__global__ void __launch_bounds__(128) k64_decode_kernel(const DecodeArgs a) {
  using Frag = K64Fragment<T, kKind>;
  using Raw = typename Frag::Raw;
  // Blocks in flight per thread: four 16-byte loads either way.
  constexpr int kUnroll = Frag::kInt8 ? 2 : 4;
  constexpr int kTileBytes = Frag::Format::kTileBytes;

  const int tid = threadIdx.x, lane = tid % 32;
  const int nb = a.N / 64, nt = blockIdx.x;
  const int k_tiles = a.K / 64;
  const int kt_begin = blockIdx.y * a.tiles_per_split;
  const int kt_end = min(kt_begin + a.tiles_per_split, k_tiles);
  const uint16_t* scales = static_cast<const uint16_t*>(a.scales) + nt * 64;
  const uint16_t* zeros = static_cast<const uint16_t*>(Frag::kHasZeros ? a.zeros : a.scales) + nt * 64;
  const uint8_t* w = a.w + (int64_t(nt) * kTileBytes + Frag::chunk_offset(tid, 0));

  // B fragment of token block b: token 8 b + lane / 4, k = 2 (lane % 4) (+ 1, + 8, + 9).
  const T* xrow[kTokBlocks];
  bool xok[kTokBlocks];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b) {
    const int tok = 8 * b + lane / 4;
    xok[b] = tok < a.M;
    xrow[b] = static_cast<const T*>(a.x) + int64_t(xok[b] ? tok : 0) * a.ldx + 2 * (lane % 4);
  }

  float acc[kTokBlocks][4] = {};
  for (int kt0 = kt_begin; kt0 < kt_end; kt0 += kUnroll) {
    Raw raw[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int kt = kt0 + u;
      if (kt < kt_end) {
        const uint8_t* blk = w + int64_t(kt) * nb * kTileBytes;
#pragma unroll
        for (int h = 0; h < Frag::kChunks; ++h)
          Frag::set_chunk(raw[u], h, load_stream(blk + (Frag::chunk_offset(tid, h) - Frag::chunk_offset(tid, 0))));
        const int64_t grow = int64_t(kt * 64 / a.group_size) * a.N;
        Frag::set_group(raw[u], scales + grow, zeros + grow, tid);
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int kt = kt0 + u;
      if (kt < kt_end) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          Regs4 A;
          Frag::convert(raw[u], j, A);
          const int k = kt * 64 + 16 * j;
#pragma unroll
          for (int b = 0; b < kTokBlocks; ++b) {
            uint32_t b0 = 0, b1 = 0;
            if (xok[b]) {
              b0 = __ldg(reinterpret_cast<const unsigned int*>(xrow[b] + k));
              b1 = __ldg(reinterpret_cast<const unsigned int*>(xrow[b] + k + 8));
            }
            mma_16816<T>(acc[b], A.r, b0, b1);
          }
        }
      }
    }
  }

  // acc[b][i]: block row row(tid) + 8 (i / 2), token 8 b + 2 (lane % 4) + i % 2.
  const T* bias = static_cast<const T*>(a.bias);
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int tok = 8 * b + 2 * (lane % 4) + (i & 1);
      const int n = nt * 64 + Frag::row(tid) + 8 * (i >> 1);
      if (tok >= a.M) continue;
      if (a.splits > 1) {
        a.partials[(int64_t(blockIdx.y) * a.M + tok) * a.N + n] = acc[b][i];
      } else {
        const float v = acc[b][i] + (bias ? float(bias[n]) : 0.0f);
        static_cast<T*>(a.out)[int64_t(tok) * a.ldo + n] = T(v);
      }
    }
}

}  // namespace qgemm::k64
