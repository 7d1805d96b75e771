// Decode GEMM of the W8A8 family (int8 x int8, fp8 e4m3 x e4m3), M <= 16 tokens, mma.sync
// m16n8k32 (int8 on sm_80+, fp8 on sm_89+):
//
//   acc^T[N, M] = B[N, K] a^T: the weights (B, [N, K] as nn.Linear keeps them) are the
//   mma's A operand, 16 rows a warp; the tokens fill the n8 columns of one or two n8 blocks.
//
// No shared memory, no barrier. A k32 mma wants, per lane (g = lane / 4, t = lane % 4), the
// 4 bytes at k = 4 t and the 4 at k = 16 + 4 t of rows g and g + 8 (A), and the same k of
// token g (B). A dot product does not care in which order k is summed, so the kernel sums
// the k of a 64-wide chunk in the order that makes every operand one 16-byte load per lane:
// lane t reads bytes [16 t, 16 t + 16) of the chunk, of its two weight rows and of its
// token, and its words 2 j, 2 j + 1 are the low-k and high-k registers of the chunk's mma j
// (j = 0, 1). Both operands take the same permutation, so the two mmas sum the whole chunk.
//
// Weights stream global -> registers one step (kUnroll chunks) ahead; the activations ([M, K],
// read by every CTA) come through L1 as a step starts. The first step's weights go to L2
// before the PDL wait, overlapping the activation quantization kernel before the GEMM.
//
// CTA: 4 warps, 64 weight rows; blockIdx.x = row block, blockIdx.y = split (a range of k64
// chunks). One split applies the epilogue itself; several write int32 / fp32 partials
// [splits, M, N] that w8a8_decode_reduce_kernel sums in split order, then scales.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/global_loads.cuh"
#include "qgemm/gemm/mma_atoms.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"
#include "qgemm/numeric/int_to_float.cuh"

namespace qgemm {
namespace w8a8decode {

inline constexpr int kThreads = 128;  // 4 warps x 16 weight rows
inline constexpr int kRowsPerCta = 64;
inline constexpr int kUnroll = 4;     // k64 chunks a step: 128 bytes of weights in flight a lane
inline constexpr int kMinCtas = 4;    // <= 128 registers: 16 warps an SM

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
__global__ void __launch_bounds__(kThreads, kMinCtas) w8a8_decode_kernel(const Args args) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using Atom = Mma16x8x32<kOp>;
  using MmaOp = typename Atom::type;
  using Acc = typename Atom::Acc;
  using CReg = std::remove_extent_t<typename MmaOp::CRegisters>;  // uint32_t (int8) / float (fp8)
  const ScaledMmParams& p = args.p;

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t = lane % 4;
  const int base = blockIdx.x * kRowsPerCta + warp * 16;  // the warp's 16 rows; N % 8 == 0, so
  if (base >= p.N) return;                                // rows base..base + 7 exist when base does
  const bool upper_ok = base + 8 < p.N;                   // rows base + 8..base + 15 (N % 16 == 8)
  const int chunks = p.K / 64;
  const int c_begin = blockIdx.y * args.chunks_per_split;
  const int c_end = min(c_begin + args.chunks_per_split, chunks);
  const int nsteps = (c_end - c_begin + kUnroll - 1) / kUnroll;

  const uint8_t* w_lo = static_cast<const uint8_t*>(p.b) + int64_t(base + g) * p.ldb + 16 * t;
  const uint8_t* w_hi = upper_ok ? w_lo + 8 * p.ldb : w_lo;  // missing rows read row g again (not stored)
  const uint8_t* x_rows[kTokBlocks];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)  // tokens past M read row M - 1 (not stored)
    x_rows[b] = static_cast<const uint8_t*>(p.a) + int64_t(min(8 * b + g, p.M - 1)) * p.lda + 16 * t;

  // Step registers: chunk u's words 0-3 from row g, 4-7 from row g + 8.
  using Words = uint32_t[kUnroll][8];
  auto load_weights = [&](int c0, Words& w) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      if (c0 + u < c_end) {
        const uint4 lo = load_streaming(w_lo + int64_t(c0 + u) * 64);
        const uint4 hi = load_streaming(w_hi + int64_t(c0 + u) * 64);
        w[u][0] = lo.x; w[u][1] = lo.y; w[u][2] = lo.z; w[u][3] = lo.w;
        w[u][4] = hi.x; w[u][5] = hi.y; w[u][6] = hi.z; w[u][7] = hi.w;
      }
  };

  // While the kernel before finishes (PDL), the first step's weights stream into L2.
#pragma unroll
  for (int u = 0; u < kUnroll; ++u)
    if (c_begin + u < c_end) {
      prefetch_l2(w_lo + int64_t(c_begin + u) * 64);
      prefetch_l2(w_hi + int64_t(c_begin + u) * 64);
    }
  pdl::wait_for_prior_grids();
  pdl::launch_dependents();

  CReg acc[kTokBlocks][4];
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[b][e] = CReg(0);

  Words w[2];
  load_weights(c_begin, w[0]);

  auto step = [&](int s, auto parity) {
    constexpr int cur = decltype(parity)::value;
    const int c0 = c_begin + s * kUnroll;
    if (s + 1 < nsteps) load_weights(c0 + kUnroll, w[cur ^ 1]);
    uint4 x[kUnroll][kTokBlocks];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      if (c0 + u < c_end)
#pragma unroll
        for (int b = 0; b < kTokBlocks; ++b) x[u][b] = load_reused(x_rows[b] + int64_t(c0 + u) * 64);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (c0 + u >= c_end) break;
      const uint32_t* a = w[cur][u];
#pragma unroll
      for (int b = 0; b < kTokBlocks; ++b) {
        const uint32_t xv[4] = {x[u][b].x, x[u][b].y, x[u][b].z, x[u][b].w};
#pragma unroll
        for (int j = 0; j < 2; ++j)  // registers a0..a3: row g low k, row g + 8 low k, row g high k, row g + 8 high k
          MmaOp::fma(acc[b][0], acc[b][1], acc[b][2], acc[b][3], a[2 * j], a[4 + 2 * j], a[2 * j + 1],
                     a[4 + 2 * j + 1], xv[2 * j], xv[2 * j + 1], acc[b][0], acc[b][1], acc[b][2], acc[b][3]);
      }
    }
  };
  for (int s = 0; s < nsteps; s += 2) {
    step(s, std::integral_constant<int, 0>{});
    if (s + 1 < nsteps) step(s + 1, std::integral_constant<int, 1>{});
  }

  // acc[b][i]: weight row base + g + 8 (i / 2), token 8 b + 2 t + i % 2.
#pragma unroll
  for (int b = 0; b < kTokBlocks; ++b)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int tok = 8 * b + 2 * t + (i & 1);
      const int n = base + g + 8 * (i >> 1);
      if (tok >= p.M || (i >= 2 && !upper_ok)) continue;
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
