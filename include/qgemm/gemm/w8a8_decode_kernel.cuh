// Decode GEMM of the W8A8 family (int8 x int8, fp8 e4m3 x e4m3), M <= 16 tokens, mma.sync
// m16n8k32 (int8 on sm_80+, fp8 on sm_89+):
//
//   acc^T[N, M] = B[N, K] a^T: the weights (B, [N, K] as nn.Linear keeps them) are the
//   mma's A operand, 16 rows a warp; the tokens fill the n8 columns of one or two n8 blocks.
//
// Fragments: a k32 mma wants, per lane (g = lane / 4, t = lane % 4), the 4 bytes at k = 4 t
// and the 4 at k = 16 + 4 t of rows g and g + 8 (A), and the same k of token g (B). A dot
// product does not care in which order k is summed, so the kernel sums the k of a 64-wide
// chunk in the order that makes every operand one 16-byte load per lane: lane t reads bytes
// [16 t, 16 t + 16) of the chunk, of its two weight rows and of its token, and its words
// 2 j, 2 j + 1 are the low-k and high-k registers of the chunk's mma j (j = 0, 1). Both
// operands take the same permutation, so the two mmas sum the whole chunk.
//
// Weights: [N, K] rows are K bytes apart, so loading the fragments straight from global
// memory reads 64 bytes of 8 rows an instruction. Instead each warp copies its 16 rows to
// shared memory by cp.async, 512 contiguous bytes of one row an instruction (a stage: 8
// chunks of every row), kStages stages in flight, warp-private (no CTA barrier), and reads
// the fragments from there (LDS.128; rows padded so that the two rows of a quarter-warp
// fall on different banks). Activations ([M, K], read by every CTA) come through L1 eight
// chunks at a time. The first stage's weights go to L2 before the PDL wait.
//
// Where it runs (scaled_mm_dispatch.hpp, measured on H100, 70B block at M = 1): its layers
// o and down are the fastest of the three families (28.4 / 85.8 us against sm90's 31.3 /
// 87.5), qkv and gate_up are not, and the sum ties sm90 for fp8; it serves fp8 where the
// general family is sm80 (345 -> 316 us on the H100 proxy). A one-warp variant with 2 KiB
// of each row a stage measured 400 us (int8), slower.
//
// CTA: kWarps warps of 16 weight rows; blockIdx.x = row block, blockIdx.y = split (a range
// of k64 chunks). One split applies the epilogue itself; several write int32 / fp32 partials
// [splits, M, N] that w8a8_decode_reduce_kernel sums in split order, then scales.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include <cute/arch/copy_sm80.hpp>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/global_loads.cuh"
#include "qgemm/gemm/mma_atoms.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"
#include "qgemm/numeric/int_to_float.cuh"

namespace qgemm {
namespace w8a8decode {

inline constexpr int kWarps = 2;
inline constexpr int kThreads = 32 * kWarps;
inline constexpr int kRowsPerCta = 16 * kWarps;
inline constexpr int kStageChunks = 8;                   // k64 chunks a stage: 512 bytes of each row
inline constexpr int kStages = 3;                        // two in flight while one is read
inline constexpr int kPitch = kStageChunks * 64 + 64;   // row pitch in shared memory (bank offset 64)
inline constexpr int kWarpStageBytes = 16 * kPitch;
inline constexpr int kSmemBytes = kWarps * kStages * kWarpStageBytes;  // 54 KiB
inline constexpr int kCtasPerSm = 4;                     // H100 (227 KiB): the split plan's slots

__device__ __forceinline__ void cp_async16(uint32_t smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem), "l"(gmem));
}

__device__ __forceinline__ void lds128(uint32_t smem, uint32_t* r) {
  asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem));
}

struct Args {
  ScaledMmParams p;
  void* partials;        // [splits, M, N] Acc, when splits > 1
  int chunks_per_split;  // k64 chunks (the last split may have fewer)
  int splits;
};

// The scaled_mm epilogue of one output (scaled_mm_params.hpp): the zero-point correction in
// int32, then a_scale * (b_scale * acc) + bias in fp32, each step rounded once (no FMA
// contraction), as the reference does: int8 outputs are bit-identical to it.
template <class T, class Acc>
__device__ __forceinline__ float epilogue(const ScaledMmParams& p, int m, int n, Acc acc) {
  if constexpr (std::is_same_v<Acc, int32_t>) {
    if (p.azp) acc -= p.azp[p.azp_per_token ? m : 0] * p.b_colsum[n];
  }
  float v = __fmul_rn(p.a_scale[p.a_per_token ? m : 0], __fmul_rn(p.b_scale[p.b_per_channel ? n : 0], float(acc)));
  if (p.bias) v = __fadd_rn(v, float(static_cast<const T*>(p.bias)[n]));
  return v;
}

template <Operand8 kOp, class T, int kTokBlocks>
__global__ void __launch_bounds__(kThreads) w8a8_decode_kernel(const Args args) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using Atom = Mma16x8x32<kOp>;
  using MmaOp = typename Atom::type;
  using Acc = typename Atom::Acc;
  using CReg = std::remove_extent_t<typename MmaOp::CRegisters>;  // uint32_t (int8) / float (fp8)
  const ScaledMmParams& p = args.p;
  extern __shared__ __align__(128) uint8_t smem[];

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t = lane % 4;
  const int base = blockIdx.x * kRowsPerCta + warp * 16;  // the warp's 16 rows; N % 8 == 0, so
  if (base >= p.N) return;                                // rows base..base + 7 exist when base does
  const int rows = base + 8 < p.N ? 16 : 8;               // 8 when N % 16 == 8 cuts the last warp
  const int chunks = p.K / 64;
  const int c_begin = blockIdx.y * args.chunks_per_split;
  const int c_end = min(c_begin + args.chunks_per_split, chunks);
  const int nstages = (c_end - c_begin + kStageChunks - 1) / kStageChunks;

  const uint8_t* w_rows = static_cast<const uint8_t*>(p.b) + int64_t(base) * p.ldb + 16 * lane;
  const uint32_t w_smem = uint32_t(__cvta_generic_to_shared(smem)) + warp * kStages * kWarpStageBytes;
  const uint8_t* x_rows[kTokBlocks];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)  // tokens past M read row M - 1 (not stored)
    x_rows[b] = static_cast<const uint8_t*>(p.a) + int64_t(min(8 * b + g, p.M - 1)) * p.lda + 16 * t;

  // Stage of chunks [c0, c0 + kStageChunks) -> slot: each row's kStageChunks * 64 bytes in
  // instructions of 512 (lane l: bytes [16 l, 16 l + 16) of each); chunks past the split's
  // end are not read.
  constexpr int kPieces = kStageChunks / 8;  // 512-byte pieces of a row's stage
  auto load_stage = [&](int c0, int slot) {
    const uint8_t* src = w_rows + int64_t(c0) * 64;
    const uint32_t dst = w_smem + slot * kWarpStageBytes + 16 * lane;
#pragma unroll
    for (int i = 0; i < kPieces; ++i) {
      if (c0 * 64 + 512 * i + 16 * lane >= c_end * 64) break;
#pragma unroll
      for (int r = 0; r < 16; ++r)
        if (r < rows) cp_async16(dst + r * kPitch + 512 * i, src + r * p.ldb + 512 * i);
    }
  };

  // While the kernel before finishes (PDL), the first stage's weights stream into L2.
#pragma unroll
  for (int i = 0; i < kPieces; ++i) {
    if (c_begin * 64 + 512 * i + 16 * lane >= c_end * 64) break;
#pragma unroll
    for (int r = 0; r < 16; ++r)
      if (r < rows) prefetch_l2(w_rows + int64_t(c_begin) * 64 + r * p.ldb + 512 * i);
  }
  pdl::wait_for_prior_grids();
  pdl::launch_dependents();

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < nstages) load_stage(c_begin + s * kStageChunks, s);
    cute::cp_async_fence();
  }

  CReg acc[kTokBlocks][4];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[b][e] = CReg(0);

  // Fragment rows g and g + 8 of a slot: the lane's 16 bytes of chunk u at + 64 u.
  const uint32_t frag_off = g * kPitch + 16 * t;
  int slot = 0;
  uint4 x[8][kTokBlocks];
  for (int s = 0; s < nstages; ++s) {
    cute::cp_async_wait<kStages - 2>();
    __syncwarp();  // stage s is in for every lane; every lane is done reading stage s - 1's slot
    const int refill = s + kStages - 1;
    if (refill < nstages) load_stage(c_begin + refill * kStageChunks, refill % kStages);
    cute::cp_async_fence();

    const uint32_t frag = w_smem + slot * kWarpStageBytes + frag_off;
#pragma unroll
    for (int u = 0; u < kStageChunks; ++u) {
      const int c = c_begin + s * kStageChunks + u;
      if (c >= c_end) break;
      if (u % 8 == 0) {  // the activations of the next 8 chunks (L1)
#pragma unroll
        for (int v = 0; v < 8; ++v)
          if (c + v < c_end)
#pragma unroll
            for (int b = 0; b < kTokBlocks; ++b) x[v][b] = load_reused(x_rows[b] + int64_t(c + v) * 64);
      }
      uint32_t a[8];  // words 0-3: row g, 4-7: row g + 8
      lds128(frag + 64 * u, a);
      lds128(frag + 64 * u + 8 * kPitch, a + 4);
#pragma unroll
      for (int b = 0; b < kTokBlocks; ++b) {
        const uint32_t xv[4] = {x[u % 8][b].x, x[u % 8][b].y, x[u % 8][b].z, x[u % 8][b].w};
#pragma unroll
        for (int j = 0; j < 2; ++j)  // registers a0..a3: row g low k, row g + 8 low k, row g high k, row g + 8 high k
          MmaOp::fma(acc[b][0], acc[b][1], acc[b][2], acc[b][3], a[2 * j], a[4 + 2 * j], a[2 * j + 1],
                     a[4 + 2 * j + 1], xv[2 * j], xv[2 * j + 1], acc[b][0], acc[b][1], acc[b][2], acc[b][3]);
      }
    }
    slot = slot + 1 == kStages ? 0 : slot + 1;
  }
  cute::cp_async_wait<0>();

  // acc[b][i]: weight row base + g + 8 (i / 2), token 8 b + 2 t + i % 2.
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int tok = 8 * b + 2 * t + (i & 1);
      const int n = base + g + 8 * (i >> 1);
      if (tok >= p.M || (i >= 2 && rows == 8)) continue;
      Acc v;
      if constexpr (std::is_same_v<CReg, Acc>) v = acc[b][i];
      else v = static_cast<Acc>(acc[b][i]);  // int32 bits held in uint32_t registers
      if (args.splits > 1)
        static_cast<Acc*>(args.partials)[(int64_t(blockIdx.y) * p.M + tok) * p.N + n] = v;
      else
        static_cast<T*>(p.out)[int64_t(tok) * p.ldo + n] = T(epilogue<T>(p, tok, n, v));
    }
#endif
}

// Split-K epilogue: each thread sums 4 columns of one token over the splits (in split
// order: deterministic), then scales, adds the bias and stores them.
template <class Acc, class T>
__global__ void __launch_bounds__(256) w8a8_decode_reduce_kernel(const ScaledMmParams p, const Acc* partials,
                                                                 int splits) {
  pdl::wait_for_prior_grids();  // a no-op as launched (ordinary launch); there for PDL
  pdl::launch_dependents();      // the next kernel may launch while this sum runs
  const int quads = p.M * (p.N / 4);
  const int64_t slice = int64_t(p.M) * p.N;
  for (int q = blockIdx.x * blockDim.x + threadIdx.x; q < quads; q += gridDim.x * blockDim.x) {
    const int m = q / (p.N / 4), n = (q - m * (p.N / 4)) * 4;
    const Acc* src = partials + int64_t(m) * p.N + n;
    Acc s[4] = {src[0], src[1], src[2], src[3]};
    for (int k = 1; k < splits; ++k)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[e] += src[k * slice + e];
    float o[4];
#pragma unroll
    for (int e = 0; e < 4; ++e) o[e] = epilogue<T>(p, m, n + e, s[e]);
    uint32_t* dst = reinterpret_cast<uint32_t*>(static_cast<T*>(p.out) + int64_t(m) * p.ldo + n);
    dst[0] = numeric::Pair<T>::pack(o[0], o[1]);
    dst[1] = numeric::Pair<T>::pack(o[2], o[3]);
  }
}

}  // namespace w8a8decode
}  // namespace qgemm
