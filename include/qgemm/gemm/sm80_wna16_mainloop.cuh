// Mainloop pieces of the SM80-class weight-only GEMM (W4A16 / W8A16, mma.sync m16n8k16):
// the shared-memory stage layout, the global->shared cp.async stage loader and the
// per-warp k16 step (ldmatrix for x, one 16-byte ld.shared per lane for the weight tile,
// dequant in registers, mma).
//
// Two weight tilings (WeightTiling): the fragment formats (k16 x n64 tiles, one tile per
// k16 step) and the k64 formats of the sm90a kernel (k64 x n64 blocks). A k64 block is four
// 512-byte n16 chunks q; lane t's 16 bytes of chunk q hold, per k16 step j, the B fragments
// of n8 blocks 2q and 2q + 1 (int4_k64.hpp, int8_k64.hpp), so a warp reads its block with
// four conflict-free 16-byte loads per lane (int8: per two k16 steps) and then runs the same
// conversion, scaling and mma as on fragment tiles, with the pairs ordered by the k64 layout.
// One packed weight thus serves both kernels: the sm90a kernel where it is faster, this one
// at decode sizes.
//
// Group scales (and zeros) are applied to the B fragment in registers before the mma: one
// op per pair (two for uint4) on top of the conversion, and one fp32 accumulator set per
// warp (scaling fp32 partial sums per group instead needs a second set, +32 registers at
// MT = 1, which costs the decode configs a CTA per SM). With a single group (per-channel,
// G == K) the scale is a per-column constant: at MT = 1 (decode configs, where the
// dequantization is the instruction stream) it moves to the epilogue (one fp32 multiply per
// output), leaving the zero subtraction (uint4) as the only op after the conversion; a
// uniform branch per stage picks between the two compiled stage bodies. Larger tiles keep
// one body (two cost them register spills, and the multiply is shared by MT mmas there).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include <cute/arch/copy_sm75.hpp>
#include <cute/arch/copy_sm80.hpp>

#include "qgemm/gemm/mma_atoms.hpp"
#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/layout/int4_fragment.hpp"
#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/int8_fragment.hpp"
#include "qgemm/layout/int8_k64.hpp"
#include "qgemm/numeric/int_to_float.cuh"

namespace qgemm {
namespace sm80 {

// Runtime arguments the mainloop needs.
struct Wna16MainloopArgs {
  const uint8_t* x;       // [M, K] activations (bytes), row stride ldx elements
  const uint8_t* w;       // kernel-format weights
  const uint8_t* scales;  // [K/G, N]
  const uint8_t* zeros;   // [K/G, N] (uint4 only)
  int64_t ldx;
  int M, N, K;
  int group_shift;   // scale row of k: k >> group_shift (log2 G; 31 when G == K)
  int stage_groups;  // scale rows a stage spans: BK / G when G < BK, else 1
  int row_shift;     // stage-local scale row of k offset kk: kk >> row_shift (0 when G >= bk)
  int step_mask;     // a new group starts at kk where (kk & step_mask) == 0
  bool per_channel;  // G == K: one scale row
};

template <typename T, WeightKind kKind, int kCfg, WeightTiling kTiling = WeightTiling::kFragment>
struct Sm80Wna16Mainloop {
  static constexpr Wna16TileConfig C = kWna16Configs[kCfg];
  static constexpr int BM = C.bm, BN = C.bn, BK = C.bk, STAGES = C.stages;
  static constexpr int WARPS_M = C.warps_m, WARPS_N = C.warps_n, WARPS_K = C.warps_k;
  static constexpr int THREADS = 32 * WARPS_M * WARPS_N * WARPS_K;
  static constexpr int MIN_CTAS = wna16_ctas_per_sm(C, kKind);  // __launch_bounds__ minimum
  static constexpr int MT = BM / WARPS_M / 16;            // m16 tiles per warp
  static constexpr int KSTEPS = BK / 16;                  // k16 steps per stage
  static constexpr int KS = KSTEPS / WARPS_K;             // k16 steps per warp per stage
  static constexpr bool kInt8 = kKind == WeightKind::kInt8;
  static constexpr bool kHasZeros = kKind == WeightKind::kUint4;
  static constexpr bool kK64 = kTiling == WeightTiling::kK64;
  using Format = std::conditional_t<kK64, std::conditional_t<kInt8, layout::Int8K64, layout::Int4K64>,
                                    std::conditional_t<kInt8, layout::Int8Fragment, layout::Int4Fragment>>;
  static constexpr int TILE_BYTES = Format::kTileBytes;
  static constexpr int TILE_K = Format::kTileK;           // k rows of one weight tile: 16 or 64
  static constexpr int NWORDS = kInt8 ? 8 : 4;            // 32-bit weight words per lane per k16 step
  static constexpr int SROWS = BK / 32;                   // scale rows per stage (G >= 32)

  // Per-channel scales multiply the fp32 outputs in the epilogue instead of the B fragments.
  __device__ __forceinline__ static bool scales_in_epilogue(const Wna16MainloopArgs& a) {
    return MT == 1 && a.per_channel;
  }

  static_assert(BN == 64 * WARPS_N, "warp tile N is 64");
  static_assert(MT >= 1 && BM == MT * 16 * WARPS_M, "");
  static_assert(KS >= 1 && KSTEPS == KS * WARPS_K, "");
  static_assert(BK % 64 == 0 && BK <= 128, "K % 128 == 0 must imply K % BK == 0; A swizzle needs >= 8 chunks");
  static_assert(Format::kTileN == 64 && TILE_BYTES * 16 / TILE_K == wna16_tile_bytes(kKind), "n64 tiles, B stage bytes");
  static_assert(!kK64 || KS % 4 == 0, "k64 tiling: every warp reads whole k64 blocks");

  // Stage layout (bytes): A [BM][BK] (16-byte chunks XOR-swizzled by row & 7),
  // B [BK/TILE_K][BN/64] tiles, S [SROWS][BN], Z [SROWS][BN].
  static constexpr int A_BYTES = BM * BK * 2;
  static constexpr int B_BYTES = (BK / TILE_K) * (BN / 64) * TILE_BYTES;
  static constexpr int S_BYTES = SROWS * BN * 2;
  static constexpr int A_OFF = 0, B_OFF = A_BYTES, S_OFF = B_OFF + B_BYTES, Z_OFF = S_OFF + S_BYTES;
  static constexpr int STAGE_BYTES = Z_OFF + (kHasZeros ? S_BYTES : 0);
  static_assert(STAGE_BYTES == wna16_stage_bytes(C, kKind), "");
  static constexpr int SMEM_BYTES = wna16_smem_bytes(C, kKind);

  using Mma = typename Mma16x8x16<T>::type;
  using P = numeric::Pair<T>;

  // Accumulators of one warp: [m16 tile][n8 block][4].
  using Acc = float[MT][8][4];

  // ---------------------------------------------------------------------------------
  // global -> shared (one stage)
  // ---------------------------------------------------------------------------------
  __device__ __forceinline__ static void cp_async16(void* smem, const void* gmem, bool pred = true) {
    cute::SM80_CP_ASYNC_CACHEGLOBAL_ZFILL<cute::uint128_t>::copy(
        *reinterpret_cast<const cute::uint128_t*>(gmem), *reinterpret_cast<cute::uint128_t*>(smem), pred);
  }

  // Loads k-iteration `kiter` (k0 = kiter * BK) of the CTA tile at (m0, n0) into `stage`.
  __device__ __forceinline__ static void load_stage(const Wna16MainloopArgs& a, uint8_t* stage, int m0, int n0,
                                                    int kiter, int tid) {
    const int k0 = kiter * BK;
    // A: BM rows x BK/8 chunks; rows >= M are zero-filled (src clamped to row 0). A thread
    // keeps one chunk column and steps down rows, so only one pointer is live per operand
    // (per-chunk 64-bit pointers hoisted out of the k loop cost tens of registers).
    {
      constexpr int CPR = BK / 8;
      static_assert(THREADS % CPR == 0, "");
      constexpr int RSTEP = THREADS / CPR;
      constexpr int ITERS = (BM + RSTEP - 1) / RSTEP;
      const int ch = tid % CPR, r0 = tid / CPR;
      const uint8_t* src = a.x + (int64_t(k0) + ch * 8) * 2;
      uint8_t* dst = stage + A_OFF + ((ch ^ (r0 & 7)) * 16);  // RSTEP % 8 == 0: same swizzle each row
      static_assert(RSTEP % 8 == 0, "");
#pragma unroll
      for (int i = 0; i < ITERS; ++i) {
        const int r = r0 + i * RSTEP;
        if (BM % RSTEP == 0 || r < BM) {
          const int m = m0 + r;
          const bool ok = m < a.M;
          cp_async16(dst + r * (BK * 2), src + (ok ? int64_t(m) * a.ldx * 2 : 0), ok);
        }
      }
    }
    // B: BK/TILE_K rows of BN/64 tiles; each row is contiguous in global memory. Offsets
    // within a stage fit 32 bits (BK/TILE_K rows of N/64 tiles). In the last N tile, the n64 tiles at
    // or past N (N % 64 == 0: whole tiles) are zero-filled without a global read; their
    // math is discarded (an mma output column depends only on its own B column).
    {
      constexpr int ROW_CHUNKS = (BN / 64) * TILE_BYTES / 16;
      constexpr int CHUNKS = (BK / TILE_K) * ROW_CHUNKS;
      const int valid_chunks = (a.N - n0 >= BN ? BN : a.N - n0) / 64 * (TILE_BYTES / 16);  // of a row
      const uint32_t row_stride = uint32_t(a.N / 64) * TILE_BYTES;
      const uint8_t* base = a.w + int64_t(k0 / TILE_K) * row_stride + int64_t(n0 / 64) * TILE_BYTES;
#pragma unroll
      for (int i = 0; i < (CHUNKS + THREADS - 1) / THREADS; ++i) {
        const int c = tid + i * THREADS;
        if (CHUNKS % THREADS == 0 || c < CHUNKS) {
          const int kt = c / ROW_CHUNKS, rc = c % ROW_CHUNKS;
          const bool ok = rc < valid_chunks;
          cp_async16(stage + B_OFF + kt * (ROW_CHUNKS * 16) + rc * 16,
                     ok ? base + (uint32_t(kt) * row_stride + rc * 16) : base, ok);
        }
      }
    }
    // Scales (and zeros): the groups this stage spans, 1 row if G >= BK else BK / G rows
    // (no scales when the epilogue applies them). Columns at or past N (last N tile) are
    // zero-filled without a global read.
    if (kHasZeros || !scales_in_epilogue(a)) {
      constexpr int CPR = BN / 8;
      const int g0 = k0 >> a.group_shift;
      const int chunks = a.stage_groups * CPR;
      const int valid_ch = (a.N - n0) / 8;  // chunks of a row below N (>= CPR: all)
#pragma unroll
      for (int i = 0; i < (SROWS * CPR + THREADS - 1) / THREADS; ++i) {
        const int c = tid + i * THREADS;
        if (c < chunks) {
          const int r = c / CPR, ch = c % CPR;
          const bool ok = ch < valid_ch;
          const int64_t goff = ok ? ((int64_t(g0) + r) * a.N + n0 + ch * 8) * 2 : 0;
          if (!scales_in_epilogue(a)) cp_async16(stage + S_OFF + r * (BN * 2) + ch * 16, a.scales + goff, ok);
          if constexpr (kHasZeros) cp_async16(stage + Z_OFF + r * (BN * 2) + ch * 16, a.zeros + goff, ok);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------
  // shared -> registers -> mma (one warp, one stage)
  // ---------------------------------------------------------------------------------
  struct Frag {
    uint32_t a[MT][4];
    uint32_t b[NWORDS];
  };

  // ldmatrix.x4: lane l addresses row (l % 16), k chunk (l / 16) of the m16 x k16 tile,
  // giving a0..a3 = (rows 0-7, k 0-7), (8-15, 0-7), (0-7, 8-15), (8-15, 8-15).
  __device__ __forceinline__ static void load_a(const uint8_t* stage, int kstep, int wm, int lane,
                                                uint32_t (&a)[MT][4]) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      const int r = (wm * MT + mt) * 16 + (lane & 15);
      const int ch = kstep * 2 + (lane >> 4);
      const uint8_t* p = stage + A_OFF + r * (BK * 2) + ((ch ^ (r & 7)) * 16);
      cute::SM75_U32x4_LDSM_N::copy(*reinterpret_cast<const cute::uint128_t*>(p), a[mt][0], a[mt][1], a[mt][2],
                                    a[mt][3]);
    }
  }

  __device__ __forceinline__ static void load_frag(const uint8_t* stage, int kstep, int wm, int wn, int lane,
                                                   Frag& f) {
    load_a(stage, kstep, wm, lane, f.a);
    const uint8_t* t = stage + B_OFF + (kstep * (BN / 64) + wn) * TILE_BYTES + lane * 16;
    const uint4 v0 = *reinterpret_cast<const uint4*>(t);
    f.b[0] = v0.x; f.b[1] = v0.y; f.b[2] = v0.z; f.b[3] = v0.w;
    if constexpr (kInt8) {
      const uint4 v1 = *reinterpret_cast<const uint4*>(t + 512);
      f.b[4] = v1.x; f.b[5] = v1.y; f.b[6] = v1.z; f.b[7] = v1.w;
    }
  }

  // Per-lane scales / zeros of the 8 n8 blocks of this warp (n = 8 j + lane / 4), both
  // halves of each register equal. The 8 lanes of one n8 block read distinct halfwords of
  // one 16-byte row segment: conflict free. kScaleB: the scales are applied here (else in
  // the epilogue, and only the zeros are loaded).
  struct GroupRegs {
    uint32_t s[8];
    uint32_t z[kHasZeros ? 8 : 1];
  };

  template <bool kScaleB>
  __device__ __forceinline__ static void load_group(const uint8_t* stage, int row, int wn, int lane, GroupRegs& g) {
    if constexpr (kScaleB) {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(stage + S_OFF + row * (BN * 2)) + wn * 64 + (lane >> 2);
#pragma unroll
      for (int j = 0; j < 8; ++j) g.s[j] = numeric::dup16(s[8 * j]);
    }
    if constexpr (kHasZeros) {
      const uint16_t* z = reinterpret_cast<const uint16_t*>(stage + Z_OFF + row * (BN * 2)) + wn * 64 + (lane >> 2);
#pragma unroll
      for (int j = 0; j < 8; ++j) g.z[j] = numeric::dup16(z[8 * j]);
    }
  }

  // Dequantize one pair: (u - z) * s for uint4, v * s otherwise (v already u - const zero);
  // without kScaleB the factor s is left to the epilogue.
  template <bool kScaleB>
  __device__ __forceinline__ static uint32_t scale_pair(uint32_t v, const GroupRegs& g, int j) {
    if constexpr (kHasZeros) v = P::sub(v, g.z[j]);
    if constexpr (kScaleB) v = P::mul(v, g.s[j]);
    return v;
  }

  __device__ __forceinline__ static void mma_block(Acc& acc, const uint32_t (&a)[MT][4], int j, uint32_t b0,
                                                   uint32_t b1) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
      Mma::fma(acc[mt][j][0], acc[mt][j][1], acc[mt][j][2], acc[mt][j][3], a[mt][0], a[mt][1], a[mt][2], a[mt][3],
               b0, b1, acc[mt][j][0], acc[mt][j][1], acc[mt][j][2], acc[mt][j][3]);
  }

  template <bool kScaleB>
  __device__ __forceinline__ static void compute_step(Acc& acc, const Frag& f, const GroupRegs& g) {
    if constexpr (!kInt8) {
      // Word w -> pairs 0,1 (n8 block 2w), pairs 2,3 (block 2w+1).
#pragma unroll
      for (int w = 0; w < 4; ++w) {
        uint32_t p[4];
        numeric::U4x8<T, kKind == WeightKind::kInt4 ? 8 : 0>::convert(f.b[w], p);
        mma_block(acc, f.a, 2 * w, scale_pair<kScaleB>(p[0], g, 2 * w), scale_pair<kScaleB>(p[1], g, 2 * w));
        mma_block(acc, f.a, 2 * w + 1, scale_pair<kScaleB>(p[2], g, 2 * w + 1), scale_pair<kScaleB>(p[3], g, 2 * w + 1));
      }
    } else {
      // Word w -> n8 block w.
#pragma unroll
      for (int w = 0; w < 8; ++w) {
        uint32_t p[2];
        numeric::U8x4<T, 128>::convert(f.b[w], p);
        mma_block(acc, f.a, w, scale_pair<kScaleB>(p[0], g, w), scale_pair<kScaleB>(p[1], g, w));
      }
    }
  }

  // All k16 steps of this warp in one stage. ldmatrix / mma are volatile asm, so the
  // compiler won't hoist the next step's loads above this step's mmas by itself: with
  // one m16 tile per warp (decode) the fragments are double-buffered explicitly; with
  // MT >= 2 each step has enough independent mmas and the registers are needed elsewhere.
  static constexpr bool kDoubleBuffer = MT == 1;

  __device__ __forceinline__ static void compute_stage(const Wna16MainloopArgs& a, const uint8_t* stage, int wm,
                                                       int wn, int wk, int lane, Acc& acc, GroupRegs& g) {
    if (scales_in_epilogue(a))
      compute_stage_t<false>(a, stage, wm, wn, wk, lane, acc, g);
    else
      compute_stage_t<true>(a, stage, wm, wn, wk, lane, acc, g);
  }

  template <bool kScaleB>
  __device__ __forceinline__ static void compute_stage_t(const Wna16MainloopArgs& a, const uint8_t* stage, int wm,
                                                         int wn, int wk, int lane, Acc& acc, GroupRegs& g) {
    if constexpr (kK64) {
      compute_stage_k64<kScaleB>(a, stage, wm, wn, wk, lane, acc, g);
    } else {
      Frag f[kDoubleBuffer ? 2 : 1];
      if constexpr (kDoubleBuffer) load_frag(stage, wk * KS, wm, wn, lane, f[0]);
#pragma unroll
      for (int j = 0; j < KS; ++j) {
        const int kstep = wk * KS + j;
        const int kk = kstep * 16;
        if constexpr (kDoubleBuffer) {
          if (j + 1 < KS) load_frag(stage, kstep + 1, wm, wn, lane, f[(j + 1) & 1]);
        } else {
          load_frag(stage, kstep, wm, wn, lane, f[0]);
        }
        if (j == 0 || (kk & a.step_mask) == 0) load_group<kScaleB>(stage, kk >> a.row_shift, wn, lane, g);
        compute_step<kScaleB>(acc, f[kDoubleBuffer ? (j & 1) : 0], g);
      }
    }
  }

  // ---------------------------------------------------------------------------------
  // k64 tiling: the warp's k64 block(s) of this stage, 16 words per lane per load
  // ---------------------------------------------------------------------------------
  // k16 steps covered by one load of the four chunks: int4 all four (4 words per chunk),
  // int8 two (the 16-byte half h of each chunk, 512 bytes on: words 2 jj + rk of step 2 h + jj).
  static constexpr int kK64StepsPerLoad = kInt8 ? 2 : 4;

  __device__ __forceinline__ static void load_k64_words(const uint8_t* stage, int block, int half, int wn, int lane,
                                                        uint32_t (&w)[16]) {
    const uint8_t* t = stage + B_OFF + (block * (BN / 64) + wn) * TILE_BYTES + half * 512 + lane * 16;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const uint4 v = *reinterpret_cast<const uint4*>(t + q * (TILE_BYTES / 4));
      w[4 * q + 0] = v.x; w[4 * q + 1] = v.y; w[4 * q + 2] = v.z; w[4 * q + 3] = v.w;
    }
  }

  // Step jj of a load: chunk q gives n8 blocks 2 q + rm. int4: word jj, pair rm + 2 rk is
  // b-register rk of block 2 q + rm. int8: word 2 jj + rk, converted pair rm is b-register rk.
  template <bool kScaleB>
  __device__ __forceinline__ static void compute_step_k64(Acc& acc, const uint32_t (&a)[MT][4],
                                                          const uint32_t (&w)[16], int jj, const GroupRegs& g) {
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      uint32_t b[2][2];  // [rm][rk]
      if constexpr (kInt8) {
        uint32_t lo[2], hi[2];
        numeric::U8x4<T, 128>::convert(w[4 * q + 2 * jj], lo);
        numeric::U8x4<T, 128>::convert(w[4 * q + 2 * jj + 1], hi);
        b[0][0] = lo[0]; b[1][0] = lo[1]; b[0][1] = hi[0]; b[1][1] = hi[1];
      } else {
        uint32_t p[4];
        numeric::U4x8<T, kKind == WeightKind::kInt4 ? 8 : 0>::convert(w[4 * q + jj], p);
        b[0][0] = p[0]; b[1][0] = p[1]; b[0][1] = p[2]; b[1][1] = p[3];
      }
#pragma unroll
      for (int rm = 0; rm < 2; ++rm) {
        const int j = 2 * q + rm;
        mma_block(acc, a, j, scale_pair<kScaleB>(b[rm][0], g, j), scale_pair<kScaleB>(b[rm][1], g, j));
      }
    }
  }

  template <bool kScaleB>
  __device__ __forceinline__ static void compute_stage_k64(const Wna16MainloopArgs& a, const uint8_t* stage, int wm,
                                                           int wn, int wk, int lane, Acc& acc, GroupRegs& g) {
    uint32_t fa[kDoubleBuffer ? 2 : 1][MT][4];
    uint32_t w[16];
    if constexpr (kDoubleBuffer) load_a(stage, wk * KS, wm, lane, fa[0]);
#pragma unroll
    for (int j = 0; j < KS; ++j) {
      const int kstep = wk * KS + j;
      const int kk = kstep * 16;
      if (j % kK64StepsPerLoad == 0)
        load_k64_words(stage, kstep / 4, (kstep % 4) / kK64StepsPerLoad, wn, lane, w);
      if constexpr (kDoubleBuffer) {
        if (j + 1 < KS) load_a(stage, kstep + 1, wm, lane, fa[(j + 1) & 1]);
      } else {
        load_a(stage, kstep, wm, lane, fa[0]);
      }
      if (j == 0 || (kk & a.step_mask) == 0) load_group<kScaleB>(stage, kk >> a.row_shift, wn, lane, g);
      compute_step_k64<kScaleB>(acc, fa[kDoubleBuffer ? (j & 1) : 0], w, j % kK64StepsPerLoad, g);
    }
  }
};

}  // namespace sm80
}  // namespace qgemm
