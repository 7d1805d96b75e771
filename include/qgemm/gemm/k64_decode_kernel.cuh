// Decode GEMM on the k64 weight formats (int4_k64 / int8_k64), M <= 16 tokens, mma.sync
// m16n8k16 (sm_80 and later):
//
//   out^T[N, M] = W[N, K] x^T: the weights are the mma's A operand, 16 rows per warp (a
//   k64 block's chunk q is warp q's A fragments for four k16 steps), the tokens the n8
//   columns of one or two n8 blocks (kTokBlocks).
//
// Why a second decode kernel beside the sm80 one (sm80_wna16_kernel.cuh, k64 tiling): that
// one is instruction-issue bound at M <= 16 (docs/performance/wna16.md: ~400 warp instructions per
// 2 KiB of int4 weights: the cp.async stage loader of every operand, a HMUL2 per pair for
// the group scale, two HMMA per weight word). Here, per 16-byte word group of weights:
//   - weights go global -> registers with one 16-byte load per lane per k64 block (no
//     shared memory, no loader arithmetic), kUnroll blocks ahead in a register ring: as
//     soon as a block's words are converted, its registers load the same block of the next
//     step (a second register set a step, as before, held 32 more registers for the same
//     loads in flight and spilled at the 128-register cap);
//   - the group scale multiplies the fp32 partial sum of the group (4 FFMA per token block
//     per group, instead of a HMUL2 per weight pair); the per-channel scale is the same
//     thing with one group;
//   - one HMMA per weight word and token block (the weights fill the 16 A rows; as the B
//     operand they take two); the column sums of x that the bias / zero term needs are
//     summed once a CTA, a step ahead, into shared memory (xsum_step), not by every warp;
//   - where a scale group starts is known at compile time (kGroupBlocks: the plan cuts K on
//     even k64 blocks, a step holds whole groups), and the weight loads step a pointer:
//     the per-block group test and the per-load address multiply of a runtime group size
//     are gone (H200, 70B block, int4 fp16: 161 / 172 -> 148 / 157 us at M = 1 / 8; the
//     register ring then 148 / 156 -> 134 / 145);
//   - x (and the scale / zero rows) come through shared memory, cp.async two steps ahead,
//     four buffers, one barrier per step; B fragments by ldmatrix.x4 (two k16 steps each).
// (A first kernel of this shape, removed in 289703a, loaded x with 32-bit __ldg per mma,
// scaled every weight pair and had no load in flight while it computed: 1.5x slower.)
//
// CTA: kCols n64 block columns x 4 warps (two columns at one token block: x shared by 8
// warps, a k64 block row's reads 4 KiB contiguous; four at two token blocks, where x staged
// from L2 for two columns was half the weight bytes); blockIdx.x = column group, blockIdx.y = split
// (a range of k64 blocks). One split writes out (+ bias) directly; several write fp32
// partials [splits, M, N] that splitk_reduce.cuh sums in split order. Where the column groups
// outnumber the CTA slots by a fraction of a wave, the launcher runs stream-K instead: one
// CTA a slot, each an equal run of (column group, k64 block) units (k64_decode_kernel).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include <cute/arch/copy_sm80.hpp>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/global_loads.cuh"
#include "qgemm/gemm/mma_atoms.hpp"
#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/int8_k64.hpp"
#include "qgemm/numeric/int_to_float.cuh"

namespace qgemm {
namespace k64decode {

struct Args {
  const uint8_t* x;       // [M, K] activations, row stride ldx elements (ldx % 8 == 0, 16-byte aligned)
  const uint8_t* w;       // k64 blocks [K / 64][N / 64][tile bytes]
  const uint8_t* scales;  // [K / G, N]
  const uint8_t* zeros;   // [K / G, N] (uint4)
  const uint8_t* bias;    // [N] or null
  uint8_t* out;           // [M, N], row stride ldo elements
  float* partials;        // [splits, M, N] when splits > 1
  int64_t ldx, ldo;
  int M, N, K;
  int group_shift;        // log2(G / 64) in k64 blocks (G = 64, 128); 30 for one group (G == K)
  int blocks_per_split;   // k64 blocks of a split (the last may have fewer)
  int splits;             // splits, or with stream-K the partial slots of a column
  int units_per_cta;      // stream-K: (column group, k64 block) units a CTA; 0: grid (column groups, splits)
};

__device__ __forceinline__ void cp_async16(uint32_t smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem), "l"(gmem));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t smem, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem));
}

template <class T>
__device__ __forceinline__ float shared_to_float(uint32_t smem) {
  uint16_t h;
  asm volatile("ld.shared.u16 %0, [%1];\n" : "=h"(h) : "r"(smem));
  if constexpr (std::is_same_v<T, __half>) return __half2float(__ushort_as_half(h));
  else return __bfloat162float(__ushort_as_bfloat16(h));
}

__device__ __forceinline__ uint32_t shared_u16_dup(uint32_t smem) {
  uint16_t h;
  asm volatile("ld.shared.u16 %0, [%1];\n" : "=h"(h) : "r"(smem));
  return numeric::dup16(h);
}

// k64 blocks per step, the blocks a lane has in flight (register ring): int4 / uint4 8 at one
// token block, 6 at two (more accumulators); int8 (32 bytes a block) 4. Measured on the
// H200, 70B block, variants of one build (benchmarks/results/decode_pipes_h200_wip_7187a2d.json):
// int4 at one token block 8 -> 134 us at M = 1, 12 -> 141, 16 -> 147 (both spill, ptxas);
// int8 4 -> 203, 8 -> 210-214; int4 at two token blocks (M = 16) 6 -> 204, 8 -> 207.
__host__ __device__ constexpr int decode_unroll(WeightKind kind, int tok_blocks) {
  return kind == WeightKind::kInt8 ? 4 : tok_blocks == 1 ? 8 : 6;
}

// Shared memory of one step buffer: x rows [M][unroll * 64] (+16 bytes a row: the 8 rows an
// ldmatrix reads fall on distinct banks), scale rows [unroll][64 cols] (a step spans at most
// unroll groups), zero rows (uint4), then the column sums of x of each of the step's blocks
// [unroll][8 tok_blocks] fp32 (int4 / uint4: DecodeKernel::xsum_step). Four buffers: x of
// two steps ahead in flight while the column sums of the next step are summed.
inline constexpr int kDecodeBuffers = 4;
inline constexpr int kStepsAhead = kDecodeBuffers - 1;  // steps of x staged ahead of the one read
__host__ __device__ constexpr int decode_buffer_bytes(WeightKind kind, int M, int tok_blocks, int cols) {
  const int unroll = decode_unroll(kind, tok_blocks);
  const int scale_rows = unroll * 128 * cols * (kind == WeightKind::kUint4 ? 2 : 1);
  const int xsum_rows = kind == WeightKind::kInt8 ? 0 : unroll * 8 * tok_blocks * 4;
  return M * (unroll * 128 + 16) + scale_rows + xsum_rows;
}

template <class T, WeightKind kKind, int kTokBlocks, int kCols>
struct DecodeKernel {
  static constexpr bool kInt8 = kKind == WeightKind::kInt8;
  static constexpr bool kHasZeros = kKind == WeightKind::kUint4;
  using Format = std::conditional_t<kInt8, layout::Int8K64, layout::Int4K64>;
  static constexpr int kTileBytes = Format::kTileBytes;      // 2048 / 4096
  static constexpr int kLoads = kInt8 ? 2 : 1;               // 16-byte loads per lane per block
  static constexpr int kUnroll = decode_unroll(kKind, kTokBlocks);
  static_assert(kCols >= kTokBlocks && (kCols == 1 || kCols == 2 || kCols == 4),
                "n64 columns per CTA: 1, 2 or 4, at least the token blocks");
  static constexpr int kThreads = 128 * kCols;
  static constexpr int kMinCtas = 4 / kCols;                 // 16 warps per SM: <= 128 registers
  static constexpr int kMaxTokens = 8 * kTokBlocks;
  // A step buffer (decode_buffer_bytes): x rows, scale rows, zero rows, column sums of x.
  static constexpr int kXRowChunks = kUnroll * 8;            // 16-byte chunks of a step's x row
  static constexpr int kXRowBytes = kXRowChunks * 16 + 16;
  static constexpr int kSRowChunks = 8 * kCols;
  static constexpr int kSRowBytes = 16 * kSRowChunks;
  static constexpr int kSBytes = kUnroll * kSRowBytes;
  static constexpr int kXChunks = kMaxTokens * kXRowChunks;
  static constexpr int kXChunksPerThread = (kXChunks + kThreads - 1) / kThreads;
  static_assert(kUnroll * kSRowChunks <= kThreads, "");
  static_assert(kXRowBytes == kUnroll * 128 + 16 && kSRowBytes == 128 * kCols, "decode_buffer_bytes");
  __host__ __device__ static constexpr int buffer_bytes(int M) {
    return decode_buffer_bytes(kKind, M, kTokBlocks, kCols);
  }
  __host__ __device__ static constexpr int smem_bytes(int M) { return kDecodeBuffers * buffer_bytes(M); }
  // Byte offset of the column-sum rows [kUnroll][kMaxTokens] fp32 in a step buffer.
  __device__ __forceinline__ static uint32_t xsum_rows(uint32_t buf, int M) {
    return buf + M * kXRowBytes + kSBytes * (kHasZeros ? 2 : 1);
  }

  using MmaOp = typename Mma16x8x16<T>::type;
  using Biased = numeric::U4x8Biased<T>;
  using Words = uint32_t[kUnroll][4 * kLoads];
  // 1.0 in both halves: the A operand whose product with x is the column sums of x.
  static constexpr uint32_t kOnes = std::is_same_v<T, __half> ? 0x3C003C00u : 0x3F803F80u;

  // Which chunks of a step this thread stages: x chunks c = tid + i kThreads (row
  // c / kXRowChunks, column chunk c % kXRowChunks) and scale chunk tid (row tid / kSRowChunks
  // of the step's groups), recomputed a step (few registers held).
  struct Stager {
    int s_row, s_ch;  // s_row = -1: no scale chunk (past the step's rows or past N)
  };

  __device__ __forceinline__ static void init_stager(const Args& a, int col0, int tid, Stager& st) {
    st.s_ch = tid % kSRowChunks;
    const int r = tid / kSRowChunks;
    st.s_row = r < kUnroll && col0 + st.s_ch / 8 < a.N / 64 ? r : -1;  // a column past N: nothing read
  }

  // One step's x, scale (and zero) rows -> shared buffer `buf` (cp.async).
  __device__ __forceinline__ static void stage_shared(const Args& a, const Stager& st, int col0, uint32_t buf,
                                                      int blk0, int blk_end) {
    const int valid = min(kUnroll, blk_end - blk0) * 8;  // chunks of blocks past the split's end: skipped
#pragma unroll
    for (int i = 0; i < kXChunksPerThread; ++i) {
      // A chunk past kXChunks (the last pass of a non-integral count) has row >= kMaxTokens >= M.
      const int c = int(threadIdx.x) + i * kThreads, row = c / kXRowChunks, ch = c % kXRowChunks;
      if (row < a.M && ch < valid)
        cp_async16(buf + row * kXRowBytes + ch * 16, a.x + (int64_t(row) * a.ldx + int64_t(blk0) * 64 + ch * 8) * 2);
    }
    const int g0 = blk0 >> a.group_shift;
    const int g1 = (min(blk0 + kUnroll, blk_end) - 1) >> a.group_shift;
    if (st.s_row >= 0 && st.s_row <= g1 - g0) {
      const int64_t off = ((int64_t(g0) + st.s_row) * a.N + col0 * 64 + st.s_ch * 8) * 2;
      const uint32_t dst = buf + a.M * kXRowBytes + st.s_row * kSRowBytes + st.s_ch * 16;
      cp_async16(dst, a.scales + off);
      if constexpr (kHasZeros) cp_async16(dst + kSBytes, a.zeros + off);
    }
  }

  // The lane's 16 / 32 bytes of one k64 block -> registers.
  __device__ __forceinline__ static void load_block(const uint8_t* p, uint32_t (&w)[4 * kLoads]) {
#pragma unroll
    for (int h = 0; h < kLoads; ++h) {
      const uint4 v = load_streaming(p + 512 * h);
      w[4 * h + 0] = v.x;
      w[4 * h + 1] = v.y;
      w[4 * h + 2] = v.z;
      w[4 * h + 3] = v.w;
    }
  }

  // The lanes' bytes of a step's blocks into L2 (before the PDL wait; global_loads.cuh).
  __device__ __forceinline__ static void prefetch_weights(const uint8_t* wp, int64_t block_stride, int blk0,
                                                          int blk_end) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      if (blk0 + u < blk_end)
#pragma unroll
        for (int h = 0; h < kLoads; ++h) prefetch_l2(wp + (blk0 + u) * block_stride + 512 * h);
  }

  // A registers of k16 step j of a block (register p = rm + 2 rk: rows +0 / +8 of the warp's
  // 16, k halves +0 / +8). int4 / uint4: Biased values (bias + mult * u; the bias and the
  // zero come off in flush()); int8: u - 128 exactly (int8_k64.hpp: words 2 j, 2 j + 1).
  __device__ __forceinline__ static void convert(const uint32_t* w, int j, uint32_t (&a)[4]) {
    if constexpr (kInt8) {
      numeric::U8x4<T, 128>::convert(w[2 * j], reinterpret_cast<uint32_t(&)[2]>(a[0]));
      numeric::U8x4<T, 128>::convert(w[2 * j + 1], reinterpret_cast<uint32_t(&)[2]>(a[2]));
    } else {
      Biased::convert(w[j], a);
    }
  }

  // The finished group's share: acc += c1 * part + c2 * xsum per row half h (elements 2 h,
  // 2 h + 1), then part = xsum = 0. int8: c1 = s, c2 = 0 (no bias). int4 / uint4: part =
  // mult * sum(u x) + bias * sum(x), so sum((u - z) x) * s = (s / mult) part - s (bias / mult
  // + z) sum(x).
  struct Group {
    float c1[2], c2[2];
  };
  __device__ __forceinline__ static Group group_coefficients(float s0, float s1, float z0, float z1) {
    Group g;
    if constexpr (kInt8) {
      g.c1[0] = s0; g.c1[1] = s1; g.c2[0] = g.c2[1] = 0.f;
    } else {
      // Row half 1 holds the odd pairs (A registers 1, 3): multiplier kMultOdd.
      constexpr float kInvOdd = 1.f / Biased::kMultOdd, kBias = Biased::kBias;
      g.c1[0] = s0;
      g.c1[1] = s1 * kInvOdd;
      g.c2[0] = -s0 * (kBias + z0);
      g.c2[1] = -s1 * (kBias * kInvOdd + z1);
    }
    return g;
  }
  // xsum[b][e]: the column sum of x over the group's k of token 8 b + 2 (lane % 4) + e, the
  // accumulator's token of elements e and e + 2 (from the step buffers' column-sum rows).
  __device__ __forceinline__ static void flush(float (&acc)[kTokBlocks][4], float (&part)[kTokBlocks][4],
                                               float (&xsum)[kTokBlocks][2], const Group& g) {
#pragma unroll
    for (int b = 0; b < kTokBlocks; ++b) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float v = fmaf(g.c1[e >> 1], part[b][e], acc[b][e]);
        if constexpr (!kInt8) v = fmaf(g.c2[e >> 1], xsum[b][e & 1], v);
        acc[b][e] = v;
        part[b][e] = 0.f;
      }
      xsum[b][0] = xsum[b][1] = 0.f;
    }
  }

  // The column sums of x over each of a step's first n blocks (for the bias / zero term),
  // into the step buffer's rows [u][token]: block u by warp u % warps, four mma over its k16
  // steps, read by every warp after the next barrier. Computed once a CTA instead of by
  // every warp beside its products (an mma a k16 step: half of the one-token-block kernel's
  // mma). One token block: mma(A = ones, B = x), c0 / c1 hold tokens 2 (lane % 4) + 0 / 1
  // (lanes 0-3 store); two: mma(A = x, 16 token rows, B = ones), c0 holds token lane / 4,
  // c2 token 8 + lane / 4 (lanes 4 i store).
  __device__ __forceinline__ static void xsum_step(uint32_t buf, const uint32_t (&xoff)[kTokBlocks], int M, int n) {
    const int lane = int(threadIdx.x) % 32;
    const uint32_t ones = kOnes;  // a register (the mma wrapper takes operands by reference)
    const uint32_t rows = xsum_rows(buf, M);
    for (int u = int(threadIdx.x) / 32; u < n && u < kUnroll; u += kThreads / 32) {
      float c[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
      for (int jp = 0; jp < 2; ++jp) {
        uint32_t bx[kTokBlocks][4];
#pragma unroll
        for (int b = 0; b < kTokBlocks; ++b) ldmatrix_x4(buf + xoff[b] + u * 128 + jp * 64, bx[b]);
#pragma unroll
        for (int jj = 0; jj < 2; ++jj) {
          if constexpr (kTokBlocks == 1)
            MmaOp::fma(c[0], c[1], c[2], c[3], ones, ones, ones, ones, bx[0][2 * jj], bx[0][2 * jj + 1], c[0], c[1],
                       c[2], c[3]);
          else
            MmaOp::fma(c[0], c[1], c[2], c[3], bx[0][2 * jj], bx[1][2 * jj], bx[0][2 * jj + 1], bx[1][2 * jj + 1],
                       ones, ones, c[0], c[1], c[2], c[3]);
        }
      }
      const uint32_t row = rows + u * kMaxTokens * 4;
      if constexpr (kTokBlocks == 1) {
        if (lane < 4) asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(row + 8 * lane), "f"(c[0]), "f"(c[1]));
      } else if (lane % 4 == 0) {
        asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(row + lane), "f"(c[0]));
        asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(row + 32 + lane), "f"(c[2]));
      }
    }
  }

  // xsum[b][e] += the step's column-sum row u, tokens 8 b + 2 (lane % 4) + e.
  __device__ __forceinline__ static void add_xsum(uint32_t buf, int M, int u, float (&xsum)[kTokBlocks][2]) {
    const uint32_t row = xsum_rows(buf, M) + u * kMaxTokens * 4 + 8 * (int(threadIdx.x) % 4);
#pragma unroll
    for (int b = 0; b < kTokBlocks; ++b) {
      float v0, v1;
      asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];\n" : "=f"(v0), "=f"(v1) : "r"(row + 32 * b));
      xsum[b][0] += v0;
      xsum[b][1] += v1;
    }
  }
};

// One segment of a CTA's work: column group group_col (n64 columns kCols group_col + ...),
// k64 blocks [blk_begin, blk_end); out (+ bias) directly when a.splits == 1, else fp32
// partials (slots: k64_decode_kernel). `first`: the CTA's first segment (the PDL wait and
// the L2 prefetch before it). kGroupBlocks: k64 blocks a scale group (1: G = 64, 2: G =
// 128, 0: one group, G = K); with 2 the plan starts and ends every segment on an even
// block, so every step (an even number of blocks, the last one too) holds whole groups and
// where they change is known at compile time.
template <class T, WeightKind kKind, int kTokBlocks, int kCols, int kGroupBlocks>
__device__ __forceinline__ void decode_segment(const Args& a, uint8_t* smem, int group_col, int blk_begin,
                                               int blk_end, bool first) {
  using K = DecodeKernel<T, kKind, kTokBlocks, kCols>;
  constexpr int U = K::kUnroll;
  constexpr bool kOneGroup = kGroupBlocks == 0;
  constexpr int kGB = kOneGroup ? 1 : kGroupBlocks;
  static_assert(kGroupBlocks >= 0 && kGroupBlocks <= 2 && U % kGB == 0, "a step holds whole groups");
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int ncols = a.N / 64;
  const int64_t block_stride = int64_t(ncols) * K::kTileBytes;
  const uint32_t smem0 = uint32_t(__cvta_generic_to_shared(smem));
  const uint32_t buf_bytes = K::buffer_bytes(a.M);

  const int col0 = group_col * kCols;            // first n64 column of the segment
  const int col = col0 + warp / 4;               // this warp's column
  const bool col_ok = col < ncols;
  const int q = warp % 4;                        // 16-row chunk of the column
  const int row = col * 64 + 16 * q + lane / 4;  // rows row, row + 8
  const int nsteps = (blk_end - blk_begin + U - 1) / U;

  // The lane's bytes of a block: int4 16 at 512 q + 16 lane, int8 also 512 further.
  const uint8_t* wp = a.w + int64_t(col_ok ? col : 0) * K::kTileBytes + K::kLoads * 512 * q + 16 * lane;

  // ldmatrix.x4 of token block b: lane l gives row (token) l % 8 of matrix l / 8 (matrices:
  // k16 step j's k 0-7, 8-15, step j + 1's k 0-7, 8-15); tokens past M read row M - 1.
  uint32_t xoff[kTokBlocks];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b) {
    const int tok = min(8 * b + lane % 8, a.M - 1);
    xoff[b] = tok * K::kXRowBytes + (lane / 16) * 32 + ((lane / 8) % 2) * 16;
  }
  const uint32_t srow_off = a.M * K::kXRowBytes + (warp / 4) * 128 + (16 * q + lane / 4) * 2;
  typename K::Stager st;
  K::init_stager(a, col0, tid, st);

  if (first) {
    // While the kernel before finishes (PDL), the first step's weights stream into L2.
    if (col_ok) K::prefetch_weights(wp, block_stride, blk_begin, blk_end);
    pdl::wait_for_prior_grids();
    pdl::launch_dependents();
  }
  float acc[kTokBlocks][4], part[kTokBlocks][4], xsum[kTokBlocks][2];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b) {
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[b][e] = part[b][e] = 0.f;
    xsum[b][0] = xsum[b][1] = 0.f;
  }

  // Prologue: shared steps 0 .. kStepsAhead - 1 in flight, weights of step 0 in the register ring.
#pragma unroll
  for (int t = 0; t < kStepsAhead; ++t) {
    if (t < nsteps) K::stage_shared(a, st, col0, smem0 + t * buf_bytes, blk_begin + t * U, blk_end);
    cute::cp_async_fence();
  }

  typename K::Words w;
  const uint8_t* wnext = wp + int64_t(blk_begin) * block_stride;  // the next block to load (steps, no multiply)
  if (col_ok)
#pragma unroll
    for (int u = 0; u < U; ++u, wnext += block_stride)
      if (u < blk_end - blk_begin) K::load_block(wnext, w[u]);

  if constexpr (!K::kInt8) {  // step 0's column sums of x
    cute::cp_async_wait<kStepsAhead - 1>();  // step 0 is in
    __syncthreads();
    K::xsum_step(smem0, xoff, a.M, blk_end - blk_begin);
  }

  // Coefficients of the group being summed; zero before the first, so that the flush at the
  // first group's start adds nothing.
  typename K::Group grp{};

  for (int s = 0; s < nsteps; ++s) {
    const int blk0 = blk_begin + s * U;
    const uint32_t buf = smem0 + (s % kDecodeBuffers) * buf_bytes;
    cute::cp_async_wait<kStepsAhead - 2>();
    __syncthreads();  // steps s, s + 1 are in, step s's column sums too; step s - 1's buffer (s + 3's) is free
    if (s + kStepsAhead < nsteps)
      K::stage_shared(a, st, col0, smem0 + ((s + kStepsAhead) % kDecodeBuffers) * buf_bytes, blk0 + kStepsAhead * U,
                      blk_end);
    cute::cp_async_fence();
    if constexpr (!K::kInt8)
      if (s + 1 < nsteps) K::xsum_step(smem0 + ((s + 1) % kDecodeBuffers) * buf_bytes, xoff, a.M, blk_end - blk0 - U);
    if (col_ok) {
      const int n = blk_end - blk0;  // blocks left in the segment
#pragma unroll
      for (int u = 0; u < U; ++u) {
        if (u >= n) break;
        // A group starts here: fold the finished one in, read the new one's scale (zero) from
        // the step's scale row u / kGroupBlocks (row 0 for one group; a step starts on a
        // group boundary).
        if (kOneGroup ? s == 0 && u == 0 : u % kGB == 0) {
          if (!kOneGroup) K::flush(acc, part, xsum, grp);
          const uint32_t sa = buf + srow_off + (kOneGroup ? 0 : u / kGB) * K::kSRowBytes;
          const float z0 = K::kHasZeros ? shared_to_float<T>(sa + K::kSBytes) : 8.f;
          const float z1 = K::kHasZeros ? shared_to_float<T>(sa + K::kSBytes + 16) : 8.f;
          grp = K::group_coefficients(shared_to_float<T>(sa), shared_to_float<T>(sa + 16), z0, z1);
        }
        if constexpr (!K::kInt8) {
          // The group's column sums of x: its blocks' rows (one group: each block's as it comes).
          if (kOneGroup || u % kGB == 0) {
            K::add_xsum(buf, a.M, u, xsum);
            if (kGB == 2) K::add_xsum(buf, a.M, u + 1, xsum);
          }
        }
#pragma unroll
        for (int jp = 0; jp < 2; ++jp) {  // k16 steps 2 jp, 2 jp + 1
          uint32_t bx[kTokBlocks][4];
#pragma unroll
          for (int b = 0; b < kTokBlocks; ++b) ldmatrix_x4(buf + xoff[b] + u * 128 + jp * 64, bx[b]);
#pragma unroll
          for (int jj = 0; jj < 2; ++jj) {
            uint32_t av[4];
            K::convert(w[u], 2 * jp + jj, av);
            if (jp == 1 && jj == 1) {  // block u's words are converted: its registers load block u of step s + 1
              if (u < n - U) K::load_block(wnext, w[u]);
              wnext += block_stride;
            }
#pragma unroll
            for (int b = 0; b < kTokBlocks; ++b)
              K::MmaOp::fma(part[b][0], part[b][1], part[b][2], part[b][3], av[0], av[1], av[2], av[3],
                            bx[b][2 * jj], bx[b][2 * jj + 1], part[b][0], part[b][1], part[b][2], part[b][3]);
          }
        }
      }
    }
  }
  cute::cp_async_wait<0>();
  if (!col_ok) return;
  K::flush(acc, part, xsum, grp);

  // The partial slot, and the first slot past the column group's last piece, which the
  // piece holding its first block zeroes (computed here, not held through the k loop).
  int slot = blockIdx.y, zero_from = a.splits;
  if (a.units_per_cta > 0) {
    const int blocks = a.K / 64, first_cta = group_col * blocks / a.units_per_cta;
    slot = int(blockIdx.x) - first_cta;
    if (blk_begin == 0) zero_from = (group_col * blocks + blocks - 1) / a.units_per_cta - first_cta + 1;
  }
  // acc[b][i]: weight row row + 8 (i / 2), token 8 b + 2 (lane % 4) + i % 2.
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int tok = 8 * b + 2 * (lane % 4) + (i & 1);
      const int n = row + 8 * (i >> 1);
      if (tok >= a.M) continue;
      if (a.splits > 1) {
        a.partials[(int64_t(slot) * a.M + tok) * a.N + n] = acc[b][i];
        for (int z = zero_from; z < a.splits; ++z) a.partials[(int64_t(z) * a.M + tok) * a.N + n] = 0.f;
      } else {
        const float bias = a.bias ? float(reinterpret_cast<const T*>(a.bias)[n]) : 0.f;
        reinterpret_cast<T*>(a.out)[int64_t(tok) * a.ldo + n] = T(acc[b][i] + bias);
      }
    }
}

template <class T, WeightKind kKind, int kTokBlocks, int kCols, int kGroupBlocks>
__global__ void __launch_bounds__(DecodeKernel<T, kKind, kTokBlocks, kCols>::kThreads,
                                  DecodeKernel<T, kKind, kTokBlocks, kCols>::kMinCtas)
    k64_decode_kernel(const Args a) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  extern __shared__ __align__(128) uint8_t smem[];
  const int blocks = a.K / 64;
  // Split grid: one segment, column group blockIdx.x, split blockIdx.y. Stream-K: the CTA's
  // run of units_per_cta (column group, k64 block) units, column groups in order and each
  // one's blocks in k order, cut where a column group ends. A column group's pieces write
  // partial slots 0, 1, ... in k order; the CTA holding its first block zeroes the slots
  // past its last piece (splitk_reduce sums all a.splits of them). One call site: the
  // segment is inlined once.
  const bool stream_k = a.units_per_cta > 0;
  const int groups = (a.N / 64 + kCols - 1) / kCols;
  // The next segment's first unit: in shared memory, so that nothing of the outer loop
  // holds a register through the segment's k loop (the kernel runs at its 128-register cap).
  __shared__ int next_unit;
  if (threadIdx.x == 0) next_unit = stream_k ? int(blockIdx.x) * a.units_per_cta : 0;
  __syncthreads();
  for (bool first = true;; first = false) {
    const int unit = next_unit;
    const int unit_end = stream_k ? min((int(blockIdx.x) + 1) * a.units_per_cta, groups * blocks) : 1;
    if (unit >= unit_end) break;
    int group_col, blk_begin, blk_end;
    if (stream_k) {
      group_col = unit / blocks;
      blk_begin = unit % blocks;
      blk_end = min(blocks, blk_begin + (unit_end - unit));
    } else {
      group_col = blockIdx.x;
      blk_begin = int(blockIdx.y) * a.blocks_per_split;
      blk_end = min(blk_begin + a.blocks_per_split, blocks);
    }
    __syncthreads();  // every thread has read next_unit; every warp is done with the last segment's buffers
    if (threadIdx.x == 0) next_unit = stream_k ? unit + blk_end - blk_begin : unit_end;
    decode_segment<T, kKind, kTokBlocks, kCols, kGroupBlocks>(a, smem, group_col, blk_begin, blk_end, first);
    __syncthreads();
  }
#endif
}

}  // namespace k64decode
}  // namespace qgemm
