// SM80-class weight-only GEMM kernel (W4A16 / W8A16 on mma.sync m16n8k16, sm_80..sm_90):
//   out[M, N] = x[M, K] @ dequant(W)[N, K]^T (+ bias[N])
// One CTA computes a BM x BN tile over the k-iterations of its split; a multi-stage
// cp.async pipeline feeds the mainloop (sm80_wna16_mainloop.cuh). Warps split over
// (M, N, K-in-CTA); the in-CTA K partials are summed through shared memory. With split-K
// (grid.y = splits > 1) each CTA writes fp32 partials [split, M, N] to the workspace and
// wna16_splitk_reduce_kernel sums them in split order (deterministic), adds the bias and
// casts; otherwise the bias add and cast happen here. Launched with programmatic dependent
// launch on sm_90 (dependent_launch.cuh): nothing is read or written before the wait. Per-channel scales (one group) are
// applied here too, to the fp32 sums, before either, in the configs that take them out of
// the mainloop (ML::scales_in_epilogue). N needs only N % 64 == 0: the last
// N tile may be partial (zero-filled loads past N, no stores there).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "qgemm/gemm/sm80_wna16_mainloop.cuh"
#include "qgemm/gemm/splitk_reduce.cuh"

namespace qgemm {
namespace sm80 {

struct Wna16KernelArgs {
  Wna16MainloopArgs ml;
  const uint8_t* bias;  // [N] or null
  uint8_t* out;         // [M, N], row stride ldo elements
  float* partials;      // [splits, M, N] fp32 when splits > 1
  int64_t ldo;
  int m_tiles, n_tiles, k_iters, splits;
};

// CTA raster: blockIdx.x runs over (m tile, n tile) in groups of kGroupM m tiles, m fastest
// inside a group, so CTAs resident together share weight tiles (and a bounded set of x rows)
// in L2 when M is large. Decode shapes have one m tile and reduce to n = blockIdx.x.
__device__ __forceinline__ void wna16_tile_coords(int m_tiles, int n_tiles, int& mt, int& nt) {
  constexpr int kGroupM = 8;
  const int id = blockIdx.x;
  const int per_group = kGroupM * n_tiles;
  const int group = id / per_group;
  const int first_m = group * kGroupM;
  const int gm = min(kGroupM, m_tiles - first_m);
  const int in = id - group * per_group;
  mt = first_m + in % gm;
  nt = in / gm;
}

template <typename T, WeightKind kKind, int kCfg, WeightTiling kTiling>
__global__ void __launch_bounds__(Sm80Wna16Mainloop<T, kKind, kCfg, kTiling>::THREADS,
                                  Sm80Wna16Mainloop<T, kKind, kCfg, kTiling>::MIN_CTAS)
    sm80_wna16_gemm_kernel(const Wna16KernelArgs args) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using ML = Sm80Wna16Mainloop<T, kKind, kCfg, kTiling>;
  using P = numeric::Pair<T>;
  constexpr int BM = ML::BM, BN = ML::BN, STAGES = ML::STAGES, MT = ML::MT;
  constexpr int WARPS_M = ML::WARPS_M, WARPS_N = ML::WARPS_N, WARPS_K = ML::WARPS_K;

  extern __shared__ __align__(128) uint8_t smem[];

  const Wna16MainloopArgs& a = args.ml;
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int wm = warp % WARPS_M;
  const int wn = (warp / WARPS_M) % WARPS_N;
  const int wk = warp / (WARPS_M * WARPS_N);

  int mtile, ntile;
  wna16_tile_coords(args.m_tiles, args.n_tiles, mtile, ntile);
  const int m0 = mtile * BM, n0 = ntile * BN;

  // This split's k-iterations (even division; every split gets >= 1, see the dispatch).
  const int split = blockIdx.y;
  const int kb = int((int64_t(args.k_iters) * split) / args.splits);
  const int ke = int((int64_t(args.k_iters) * (split + 1)) / args.splits);
  const int n_iters = ke - kb;

  // Launched with PDL (dependent_launch.cuh): wait for the kernel before, then let the next
  // one launch. (Measured on H100, benchmarks/results/pdl_variants_h100_4e69f69.txt: an L2
  // prefetch of the first weight stages before the wait gained nothing; a trigger after the
  // mainloop instead of here cost the 70B block 16-35 us at M = 1-16.)
  pdl::wait_for_prior_grids();
  pdl::launch_dependents();

  typename ML::Acc acc;
#pragma unroll
  for (int i = 0; i < MT; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

  // ---- pipeline: STAGES-1 stages in flight ahead of the one being computed ----------
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < n_iters) ML::load_stage(a, smem + s * ML::STAGE_BYTES, m0, n0, kb + s, tid);
    cute::cp_async_fence();
  }

  typename ML::GroupRegs g;
  int read_slot = 0, write_slot = STAGES - 1;
  for (int it = 0; it < n_iters; ++it) {
    cute::cp_async_wait<STAGES - 2>();
    __syncthreads();  // stage `it` visible to all; slot `write_slot` (read at it-1) free
    if (it + STAGES - 1 < n_iters)
      ML::load_stage(a, smem + write_slot * ML::STAGE_BYTES, m0, n0, kb + it + STAGES - 1, tid);
    cute::cp_async_fence();
    ML::compute_stage(a, smem + read_slot * ML::STAGE_BYTES, wm, wn, wk, lane, acc, g);
    read_slot = read_slot == STAGES - 1 ? 0 : read_slot + 1;
    write_slot = write_slot == STAGES - 1 ? 0 : write_slot + 1;
  }
  cute::cp_async_wait<0>();

  // ---- in-CTA split-K: warps wk > 0 hand their accumulators to wk == 0 --------------
  if constexpr (WARPS_K > 1) {
    constexpr int NACC = MT * 8 * 4;
    float* red = reinterpret_cast<float*>(smem);
    const int mn_warp = warp % (WARPS_M * WARPS_N);
    __syncthreads();  // everyone is done reading the pipeline buffers
    if (wk > 0) {
      float* dst = red + ((wk - 1) * (WARPS_M * WARPS_N) + mn_warp) * NACC * 32 + lane;
#pragma unroll
      for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) dst[((i * 8 + j) * 4 + e) * 32] = acc[i][j][e];
    }
    __syncthreads();
    if (wk > 0) return;
#pragma unroll
    for (int k = 1; k < WARPS_K; ++k) {
      const float* src = red + ((k - 1) * (WARPS_M * WARPS_N) + mn_warp) * NACC * 32 + lane;
#pragma unroll
      for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) acc[i][j][e] += src[((i * 8 + j) * 4 + e) * 32];
    }
  }

  // ---- epilogue: C fragment (c0,c1) at row g, cols 2c,2c+1; (c2,c3) at row g+8 --------
  // Last N tile (N % BN != 0): a warp's n64 columns lie wholly below or at/past N
  // (N % 64 == 0); the latter computed on zero-filled tiles and store nothing (no
  // barrier follows).
  if (n0 + wn * 64 >= a.N) return;
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  const int row_base = m0 + wm * MT * 16 + gr;
  const int col_base = n0 + wn * 64 + gc;
  if (ML::scales_in_epilogue(a)) {  // one group: the per-column scale of every k, applied once
    const T* sp = reinterpret_cast<const T*>(a.scales) + col_base;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float s0 = float(sp[8 * j]), s1 = float(sp[8 * j + 1]);
#pragma unroll
      for (int i = 0; i < MT; ++i) {
        acc[i][j][0] *= s0;
        acc[i][j][1] *= s1;
        acc[i][j][2] *= s0;
        acc[i][j][3] *= s1;
      }
    }
  }
  if (args.splits == 1) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int col = col_base + 8 * j;
      float b0 = 0.f, b1 = 0.f;
      if (args.bias != nullptr) {
        const T* bp = reinterpret_cast<const T*>(args.bias) + col;
        b0 = float(bp[0]);
        b1 = float(bp[1]);
      }
#pragma unroll
      for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = row_base + i * 16 + h * 8;
          if (row < a.M) {
            uint32_t v = P::pack(acc[i][j][2 * h] + b0, acc[i][j][2 * h + 1] + b1);
            *reinterpret_cast<uint32_t*>(args.out + (int64_t(row) * args.ldo + col) * 2) = v;
          }
        }
    }
  } else {
    float* part = args.partials + int64_t(split) * a.M * a.N;
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = row_base + i * 16 + h * 8;
          if (row < a.M)
            *reinterpret_cast<float2*>(part + int64_t(row) * a.N + col_base + 8 * j) =
                make_float2(acc[i][j][2 * h], acc[i][j][2 * h + 1]);
        }
  }
#endif
}

}  // namespace sm80
}  // namespace qgemm
