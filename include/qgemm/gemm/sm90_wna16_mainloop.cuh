// sm90a W4A16 / W8A16 mainloop: TMA producer warp + RS-wgmma consumer warpgroups that
// dequantize int4_k64 / int8_k64 weights in registers (docs/design/sm90_wna16.md, section 4).
//
// The GEMM runs transposed: out^T[N, M] = W[N, K] x^T, so the weights are wgmma's A
// operand (from registers, the only operand wgmma converts nothing for) and the tokens are
// wgmma's N dimension. Problem shape (N, M, K); the tile is (TileW weight rows, TileTok
// tokens, 64). Cooperative schedule: two consumer warpgroups; TileW = 128 or 256 weight
// rows, so a warpgroup owns one or two k64 weight blocks of each k64 tile: block 2 m + w
// (rows [64 (2 m + w), +64)) for m < TileW / 128, as the tiled MMA's M tiling lays them out.
// Two blocks a warpgroup double the tensor work behind each of its serial steps (wait,
// LDS, conversion, wgmma issue): the 128-row tile at 64 tokens kept the tensor pipe 45 %
// busy with every warp latency-bound (ncu, benchmarks/results/ncu_sm90_m64_h200_11ccbc7.txt).
//
//   producer (one thread), per k-tile, one PipelineTmaAsync stage:
//     W  : TMA of a uint64 view [K/64][N/64][H][256] of the k64 blocks (H = 1 for int4_k64's
//          2 KiB, 2 for int8_k64's 4 KiB: a TMA box row holds at most 256), box [1][TileW/64][H][256]
//          (zero-filled past N, so N % TileW = 64 is fine)
//     X  : TMA of x [M, K] (K-major, 128B swizzle), box (TileTok, 64), zero-filled past M
//     S/Z: TMA of the scale (zero) row of the k-tile's group, box (TileW, 1); row = k0 / g
//          (g a multiple of 64 or K: one group per k-tile)
//   consumer thread tid (0..127 in its warpgroup), per k-tile and block of its warpgroup:
//     one LDS.128 of its 16 raw bytes (int4_k64: word j = k16 step j; int8_k64: two, words
//     2 j, 2 j + 1), two scales (rows n = 16 q + t/4 + {0, 8}) and for uint4 two zeros; per
//     k16 step j: LOP3 / prmt magic (numeric::U4x8 / U8x4, as the sm80 kernel), (v - z) * s
//     in the 16-bit type (bit-identical to the sm80 kernel's B fragments), into A register
//     set j.
//   k-blocks pipeline (CUTLASS's mixed-input RS order): A register sets 0..3 (one per k16
//   step). After issuing wgmma (t, j) the thread waits until at most 3 wgmma batches are
//   pending (so the batch that last read set j + 1, (t - 1, j + 1), is done) and converts
//   (t, j + 1) into set j + 1 while wgmma (t, j) runs; after step 1 it reads the raw bytes of
//   k-tile t + 1 into a second register set, after step 3 it releases stage t - 1 (its last
//   batch is then complete) and converts k-tile t + 1's step 0 into set 0. The first k-tile
//   (scale-d Zero on step 0) and the last are peeled out of the loop, so nothing in it is
//   conditional; mma_tail releases the last stage.
//
// CUTLASS collective contract (as sm90_mma_tma_gmma_ss_warpspecialized.hpp, K_PIPE_MMAS = 1):
// DispatchPolicy{Stages, ClusterShape, ArchTag, Schedule}, TiledMma, Arguments/Params,
// to_underlying_arguments, can_implement, load_init/load/load_tail, mma/mma_tail.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cute/arch/copy_sm90_tma.hpp>
#include <cute/atom/copy_traits_sm90_tma.hpp>
#include <cute/atom/mma_atom.hpp>
#include <cute/tensor.hpp>
#include <cutlass/arch/arch.h>
#include <cutlass/cutlass.h>
#include <cutlass/detail/layout.hpp>
#include <cutlass/gemm/dispatch_policy.hpp>
#include <cutlass/gemm/gemm.h>
#include <cutlass/numeric_types.h>
#include <cutlass/pipeline/pipeline.hpp>

#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/gemm/k64_fragment.cuh"

namespace qgemm::sm90 {

// cutlass element type -> the CUDA type numeric/int_to_float.cuh works on.
template <class T> struct CudaPair;
template <> struct CudaPair<cutlass::half_t> { using type = __half; };
template <> struct CudaPair<cutlass::bfloat16_t> { using type = __nv_bfloat16; };

// The dispatch policy GemmUniversal selects its kernel by (Schedule) and reads Stages from.
template <int Stages_, class ClusterShape_, class Schedule_>
struct Wna16Sm90Policy {
  static constexpr int Stages = Stages_;
  using ClusterShape = ClusterShape_;
  using ArchTag = cutlass::arch::Sm90;
  using Schedule = Schedule_;
};

// Shared memory a CTA can give the mainloop + epilogue (sm90: 227 KiB opt-in, minus the
// kernel's own barriers / scheduler storage, kept as a margin).
inline constexpr int kSm90SmemBudget = 227 * 1024 - 2048;

// T: cutlass::half_t or cutlass::bfloat16_t. kCfg: row of kWna16Sm90Configs.
// kCarveout: bytes the epilogue's shared storage takes (sets the stage count).
// kEpilogueScale: per-channel weights without zero points whose scale the epilogue applies
// to the fp32 accumulators (a per-row alpha): the mainloop converts the integers alone,
// one HMUL2 fewer a register, and loads no scales.
template <class T, WeightKind kKind, int kCfg, int kCarveout, bool kEpilogueScale = false>
struct Wna16MainloopRS {
  static constexpr Wna16Sm90Config kC = kWna16Sm90Configs[kCfg];
  static constexpr int TileW = kC.tile_w, TileTok = kC.tile_tok, TileK = 64;
  static_assert(TileW == 128 || TileW == 256, "cooperative: two warpgroups, one or two n64 weight blocks each");
  // fp32 accumulators a consumer thread holds; beside the A sets, raw bytes and addresses
  // they must fit the 232 registers the cooperative kernel gives a consumer.
  static_assert(TileW * TileTok / 256 <= 128, "tile too large for the consumer registers");
  // The consumer thread's view of a weight block (offsets, scales, conversion).
  using Frag = K64Fragment<typename CudaPair<T>::type, kKind>;
  using Raw = typename Frag::Raw;
  using Format = typename Frag::Format;
  static constexpr bool kHasZeros = Frag::kHasZeros;
  static_assert(!(kEpilogueScale && kHasZeros), "the epilogue scale serves weights without zero points");
  static constexpr bool kLoadScales = !kEpilogueScale;
  static constexpr int kBlocks = TileW / 64;                     // weight blocks per tile and k-tile
  static constexpr int kWgBlocks = TileW / 128;                  // of them, per consumer warpgroup
  static constexpr int kHalves = Format::kTileBytes / 2048;      // 2 KiB rows of a block (TMA box <= 256 x 8 B)

  using TileShape = cute::Shape<cute::Int<TileW>, cute::Int<TileTok>, cute::Int<TileK>>;
  using ClusterShape = cute::Shape<cute::_1, cute::_1, cute::_1>;

  static constexpr int kWBytes = kBlocks * Format::kTileBytes;  // weights per stage
  static constexpr int kXBytes = TileTok * TileK * 2;      // activations per stage
  static constexpr int kSBytes = TileW * 2;                // one scale row per stage
  static constexpr int kGroupRows = (kLoadScales ? 1 : 0) + (kHasZeros ? 1 : 0);  // scale / zero rows a stage
  static constexpr int kStageBytes = kWBytes + kXBytes + kSBytes * kGroupRows + 16;  // + 2 mbarriers
  static constexpr int kStagesFit = (kSm90SmemBudget - kCarveout) / kStageBytes;
  static constexpr int Stages = kStagesFit > 12 ? 12 : kStagesFit;
  static_assert(Stages >= 3, "too little shared memory for the pipeline");

  using DispatchPolicy = Wna16Sm90Policy<Stages, ClusterShape, cutlass::gemm::KernelTmaWarpSpecializedCooperative>;
  using ArchTag = cutlass::arch::Sm90;

  // What GemmUniversal reads from the collective. A is the weights as the kernel sees them
  // (problem M = N channels); its element and stride only name the operand.
  using ElementA = T;
  using StrideA = cute::Stride<int64_t, cute::_1, int64_t>;
  using ElementB = T;
  using StrideB = cute::Stride<int64_t, cute::_1, int64_t>;  // x [M, K]: (ldx, 1, 0)
  using ElementAccumulator = float;

  using TiledMma = decltype(cute::make_tiled_mma(
      cute::SM90::GMMA::rs_op_selector<T, T, float, cute::Shape<cute::_64, cute::Int<TileTok>, cute::Int<TileK>>,
                                       cute::GMMA::Major::K, cute::GMMA::Major::K>(),
      cute::Layout<cute::Shape<cute::_2, cute::_1, cute::_1>>{}));

  using SmemLayoutAtomB = cute::GMMA::Layout_K_SW128_Atom<T>;
  using SmemLayoutB = decltype(cute::tile_to_shape(
      SmemLayoutAtomB{}, cute::make_shape(cute::Int<TileTok>{}, cute::Int<TileK>{}, cute::Int<Stages>{})));
  // Weights: [stage][block][half][256 uint64]; scales / zeros: [stage][TileW].
  using SmemLayoutW =
      cute::Layout<cute::Shape<cute::_256, cute::Int<kHalves>, cute::Int<kBlocks>, cute::_1, cute::Int<Stages>>>;
  using SmemLayoutS = cute::Layout<cute::Shape<cute::Int<TileW>, cute::_1, cute::Int<Stages>>>;

  using MainloopPipeline = cutlass::PipelineTmaAsync<Stages>;
  using PipelineState = cutlass::PipelineState<Stages>;
  using PipelineParams = typename MainloopPipeline::Params;
  static constexpr int NumProducerThreadEvents = 1;

  struct SharedStorage {
    struct TensorStorage {
      alignas(1024) cute::array_aligned<T, cute::cosize_v<SmemLayoutB>, 1024> smem_x;  // 128B swizzle: 1 KiB
      alignas(128) cute::array_aligned<uint64_t, cute::cosize_v<SmemLayoutW>, 128> smem_w;
      alignas(128) cute::array_aligned<T, kLoadScales ? cute::cosize_v<SmemLayoutS> : 8, 128> smem_s;
      alignas(128) cute::array_aligned<T, kHasZeros ? cute::cosize_v<SmemLayoutS> : 8, 128> smem_z;
    } tensors;
    using PipelineStorage = typename MainloopPipeline::SharedStorage;
    PipelineStorage pipeline;
  };
  using TensorStorage = typename SharedStorage::TensorStorage;
  using PipelineStorage = typename SharedStorage::PipelineStorage;

  static constexpr uint32_t TmaTransactionBytes = uint32_t(kWBytes + kXBytes + kSBytes * kGroupRows);

  struct Arguments {
    const uint8_t* w;  // int4_k64 [K/64][N/64][2048] or int8_k64 [K/64][N/64][4096]
    const T* x;        // [M, K], row stride ldx
    int64_t ldx;
    const T* scales;   // [K/g, N]
    const T* zeros;    // [K/g, N] (uint4), else unused
    int group_size;
  };

  // TMA atom types (built from null tensors of the right layout kinds).
  using GmemW = decltype(cute::make_layout(cute::make_shape(cute::_256{}, cute::Int<kHalves>{}, int(0), int(0)),
                                           cute::make_stride(cute::_1{}, cute::_256{}, int64_t(0), int64_t(0))));
  using GmemS = decltype(cute::make_layout(cute::make_shape(int(0), int(0)), cute::make_stride(cute::_1{}, int64_t(0))));
  using TMA_W = decltype(cute::make_tma_copy(cute::SM90_TMA_LOAD{},
                                             cute::make_tensor(static_cast<const uint64_t*>(nullptr), GmemW{}),
                                             SmemLayoutW{}(cute::_, cute::_, cute::_, cute::_, cute::Int<0>{})));
  using TMA_X = decltype(cute::make_tma_copy_B_sm90(
      cute::SM90_TMA_LOAD{},
      cute::make_tensor(static_cast<const T*>(nullptr), cute::repeat_like(StrideB{}, int32_t(0)), StrideB{}),
      SmemLayoutB{}(cute::_, cute::_, cute::Int<0>{}), TileShape{}, ClusterShape{}));
  using TMA_S = decltype(cute::make_tma_copy(cute::SM90_TMA_LOAD{},
                                             cute::make_tensor(static_cast<const T*>(nullptr), GmemS{}),
                                             SmemLayoutS{}(cute::_, cute::_, cute::Int<0>{})));

  struct Params {
    TMA_W tma_w;
    TMA_X tma_x;
    TMA_S tma_s;
    TMA_S tma_z;
    int tiles_per_group;  // g / 64 (K / 64 for per-channel)
    int n_blocks, k_tiles, scale_rows;
    uint32_t tma_transaction_bytes = TmaTransactionBytes;
  };

  template <class ProblemShape>
  static Params to_underlying_arguments(ProblemShape const& problem_shape, Arguments const& args, void*) {
    using namespace cute;
    auto [N, M, K, L] = append<4>(problem_shape, 1);
    const int nb = int(N) / 64, kt = int(K) / 64;
    const int rows = int(K) / args.group_size;
    constexpr int64_t kBlockWords = 256 * kHalves;
    Tensor mW = make_tensor(reinterpret_cast<const uint64_t*>(args.w),
                            make_layout(make_shape(_256{}, Int<kHalves>{}, nb, kt),
                                        make_stride(_1{}, _256{}, kBlockWords, kBlockWords * nb)));
    Tensor mX = make_tensor(args.x, make_layout(make_shape(int(M), int(K), int(L)), StrideB{args.ldx, _1{}, 0}));
    Tensor mS = make_tensor(args.scales, make_layout(make_shape(int(N), rows), make_stride(_1{}, int64_t(N))));
    Tensor mZ = make_tensor(kHasZeros ? args.zeros : args.scales,
                            make_layout(make_shape(int(N), rows), make_stride(_1{}, int64_t(N))));
    Params p{make_tma_copy(SM90_TMA_LOAD{}, mW, SmemLayoutW{}(_, _, _, _, Int<0>{})),
             make_tma_copy_B_sm90(SM90_TMA_LOAD{}, mX, SmemLayoutB{}(_, _, Int<0>{}), TileShape{}, ClusterShape{}),
             make_tma_copy(SM90_TMA_LOAD{}, mS, SmemLayoutS{}(_, _, Int<0>{})),
             make_tma_copy(SM90_TMA_LOAD{}, mZ, SmemLayoutS{}(_, _, Int<0>{})),
             args.group_size / 64,
             nb,
             kt,
             rows};
    return p;
  }

  // Shapes the kernel family runs: N % 64, K % 128 (so K % 64), g a multiple of 64 dividing
  // K, or K; x rows 16-byte aligned (TMA). g = 32 is refused here (the sm80 kernel serves it).
  template <class ProblemShape>
  static bool can_implement(ProblemShape const& problem_shape, Arguments const& args) {
    auto [N, M, K, L] = cute::append<4>(problem_shape, 1);
    const int g = args.group_size;
    bool ok = N > 0 && M > 0 && K > 0 && L == 1 && N % 64 == 0 && K % 128 == 0;
    ok = ok && g >= 64 && g % 64 == 0 && K % g == 0;
    ok = ok && (!kEpilogueScale || g == K);
    ok = ok && args.ldx >= K && args.ldx % 8 == 0;
    ok = ok && args.w && args.x && args.scales && (!kHasZeros || args.zeros);
    ok = ok && (reinterpret_cast<uintptr_t>(args.w) % 16 == 0) && (reinterpret_cast<uintptr_t>(args.x) % 16 == 0) &&
         (reinterpret_cast<uintptr_t>(args.scales) % 16 == 0) &&
         (!kHasZeros || reinterpret_cast<uintptr_t>(args.zeros) % 16 == 0);
    return ok;
  }

  CUTLASS_DEVICE static void prefetch_tma_descriptors(Params const& p) {
    cute::prefetch_tma_descriptor(p.tma_w.get_tma_descriptor());
    cute::prefetch_tma_descriptor(p.tma_x.get_tma_descriptor());
    if constexpr (kLoadScales) cute::prefetch_tma_descriptor(p.tma_s.get_tma_descriptor());
    if constexpr (kHasZeros) cute::prefetch_tma_descriptor(p.tma_z.get_tma_descriptor());
  }

  // get<0>: a counting tensor (BLK_W, BLK_K, w, k, l) the kernel reads only the tile counts
  // from; get<1>: x's TMA tensor (BLK_TOK, BLK_K, tok, k, l). W, S, Z are tiled in load().
  template <class ProblemShape_MNKL>
  CUTLASS_DEVICE auto load_init(ProblemShape_MNKL const& problem_shape_MNKL, Params const& p) const {
    using namespace cute;
    using X = Underscore;
    auto [N, M, K, L] = problem_shape_MNKL;
    Tensor cW = make_identity_tensor(make_shape(N, K, L));
    Tensor gW = local_tile(cW, TileShape{}, make_coord(_, _, _), Step<_1, X, _1>{});
    Tensor mX = p.tma_x.get_tma_tensor(make_shape(M, K, L));
    Tensor gX = local_tile(mX, TileShape{}, make_coord(_, _, _), Step<X, _1, _1>{});
    return cute::make_tuple(gW, gX);
  }

  template <class TensorA, class TensorB, class KTileIterator, class BlockCoord>
  CUTLASS_DEVICE void load(Params const& p, MainloopPipeline pipeline, PipelineState smem_pipe_write,
                           cute::tuple<TensorA, TensorB> const& load_inputs, BlockCoord const& blk_coord,
                           KTileIterator k_tile_iter, int k_tile_count, int /*thread_idx*/,
                           uint32_t /*block_rank_in_cluster*/, TensorStorage& shared) {
    using namespace cute;
    if (!cute::elect_one_sync()) return;
    Tensor sX = make_tensor(make_smem_ptr(shared.smem_x.data()), SmemLayoutB{});
    Tensor sW = make_tensor(make_smem_ptr(shared.smem_w.data()), SmemLayoutW{});
    Tensor sS = make_tensor(make_smem_ptr(shared.smem_s.data()), SmemLayoutS{});
    Tensor sZ = make_tensor(make_smem_ptr(shared.smem_z.data()), SmemLayoutS{});

    auto [w_coord, tok_coord, k_coord, l_coord] = blk_coord;
    Tensor gX = get<1>(load_inputs)(_, _, tok_coord, _, l_coord);  // (BLK_TOK, BLK_K, k)
    Tensor mW = p.tma_w.get_tma_tensor(make_shape(_256{}, Int<kHalves>{}, p.n_blocks, p.k_tiles));
    Tensor gW = local_tile(mW, Shape<_256, Int<kHalves>, Int<kBlocks>, _1>{},
                           make_coord(_0{}, _0{}, int(w_coord), _));  // (256,H,B,1,k)
    Tensor mS = p.tma_s.get_tma_tensor(make_shape(p.n_blocks * 64, p.scale_rows));
    Tensor gS = local_tile(mS, Shape<Int<TileW>, _1>{}, make_coord(int(w_coord), _));  // (TileW, 1, row)
    Tensor mZ = p.tma_z.get_tma_tensor(make_shape(p.n_blocks * 64, p.scale_rows));
    Tensor gZ = local_tile(mZ, Shape<Int<TileW>, _1>{}, make_coord(int(w_coord), _));

    auto tma_x = p.tma_x.get_slice(0);
    auto tma_w = p.tma_w.get_slice(0);
    auto tma_s = p.tma_s.get_slice(0);
    auto tma_z = p.tma_z.get_slice(0);
    Tensor tXgX = tma_x.partition_S(gX);  // (TMA, TMA_N, TMA_K, k)
    Tensor tXsX = tma_x.partition_D(sX);  // (TMA, TMA_N, TMA_K, PIPE)

    CUTLASS_PRAGMA_NO_UNROLL
    for (; k_tile_count > 0; --k_tile_count) {
      pipeline.producer_acquire(smem_pipe_write);
      using BarrierType = typename MainloopPipeline::ProducerBarrierType;
      BarrierType* bar = pipeline.producer_get_barrier(smem_pipe_write);
      const int stage = smem_pipe_write.index();
      const int kt = int(*k_tile_iter);
      const int row = kt / p.tiles_per_group;
      copy(p.tma_x.with(*bar), tXgX(_, _, _, kt), tXsX(_, _, _, stage));
      copy(p.tma_w.with(*bar), tma_w.partition_S(gW(_, _, _, _, kt)), tma_w.partition_D(sW(_, _, _, _, stage)));
      if constexpr (kLoadScales)
        copy(p.tma_s.with(*bar), tma_s.partition_S(gS(_, _, row)), tma_s.partition_D(sS(_, _, stage)));
      if constexpr (kHasZeros)
        copy(p.tma_z.with(*bar), tma_z.partition_S(gZ(_, _, row)), tma_z.partition_D(sZ(_, _, stage)));
      ++k_tile_iter;
      ++smem_pipe_write;
    }
  }

  CUTLASS_DEVICE void load_tail(MainloopPipeline pipeline, PipelineState smem_pipe_write) {
    if (cute::elect_one_sync()) pipeline.producer_tail(smem_pipe_write);
  }

  // ---------------------------------------------------------------------------------
  // Consumer: raw int4_k64 / int8_k64 bytes -> dequantized wgmma A registers (Frag::convert).
  // ---------------------------------------------------------------------------------

  // One (int4) or two (int8) LDS.128 of raw weights and the group's scales (zeros) of this
  // thread's two rows.
  CUTLASS_DEVICE static void load_raw(TensorStorage const& shared, int stage, int blk, int tid, Raw& r) {
    const uint8_t* block =
        reinterpret_cast<const uint8_t*>(shared.smem_w.data()) + (stage * kBlocks + blk) * Format::kTileBytes;
    CUTLASS_PRAGMA_UNROLL
    for (int h = 0; h < Frag::kChunks; ++h)
      Frag::set_chunk(r, h, *reinterpret_cast<const uint4*>(block + Frag::chunk_offset(tid, h)));
    if constexpr (kLoadScales) {
      const int off = stage * TileW + blk * 64;
      Frag::set_group(r, reinterpret_cast<const uint16_t*>(shared.smem_s.data()) + off,
                      reinterpret_cast<const uint16_t*>(shared.smem_z.data()) + off, tid);
    }
  }

  template <class FrgTensorC>
  CUTLASS_DEVICE void mma(MainloopPipeline pipeline, PipelineState smem_pipe_read, FrgTensorC& accum,
                          int k_tile_count, int thread_idx, TensorStorage& shared, Params const& /*p*/) {
    using namespace cute;
    static_assert(is_rmem<FrgTensorC>::value, "C tensor must be rmem resident.");
    Tensor sX = make_tensor(make_smem_ptr(shared.smem_x.data()), SmemLayoutB{});  // (TOK, K, PIPE)
    TiledMma tiled_mma;
    auto thr_mma = tiled_mma.get_thread_slice(thread_idx);
    Tensor tCsB = thr_mma.partition_B(sX);          // (MMA, MMA_N, MMA_K, PIPE)
    Tensor tCrB = thr_mma.make_fragment_B(tCsB);    // descriptors
    // A: 8 values (4 registers) per block and k16 step, 4 steps per k-tile: (V, MMA_M, MMA_K).
    Tensor tCrA = make_tensor<T>(Shape<_8, Int<kWgBlocks>, _4>{});
    Tensor tCrA32 = recast<uint32_t>(tCrA);         // (4, kWgBlocks, 4)
    static_assert(decltype(size(partition_shape_A(TiledMma{}, Shape<Int<TileW>, Int<TileK>>{})))::value ==
                      decltype(size(tCrA))::value,
                  "kWgBlocks n64 blocks per warpgroup: 8 values x 4 k16 steps each");
    CUTE_STATIC_ASSERT_V(size<2>(tCsB) == _4{});
    CUTE_STATIC_ASSERT_V(size<1>(tCsB) == size<2>(accum));

    const int tid = thread_idx % cutlass::NumThreadsPerWarpGroup;  // thread in its consumer warpgroup
    const int wgi = thread_idx / cutlass::NumThreadsPerWarpGroup;  // consumer warpgroup: blocks 2 m + wgi

    constexpr int K_BLOCK_MAX = 4;  // k16 steps per k-tile = A register sets
    constexpr int K_WAIT_MAX = K_BLOCK_MAX - 1;

    // Same order as CUTLASS's mixed-input RS collective
    // (sm90_mma_tma_gmma_rs_warpspecialized_mixed_input.hpp): the first k-tile (ScaleOut::Zero
    // on its first k-block) and the last one are peeled, so inside the main loop the wgmma
    // scale-d is the constant One and every conversion is unconditional; a run-time scale-d
    // or a conditional definition of A registers between wgmma.fence and wgmma.wait makes
    // ptxas serialize the pipeline (C7513).
    Raw raw[kWgBlocks];
    Raw next[kWgBlocks];  // k-tile t + 1's raw bytes, read at step 1 of k-tile t
    // Raw bytes and scales of this warpgroup's blocks in a stage; k16 step j of them into A set j.
    auto load_raws = [&](Raw* dst, int stage) {
      CUTLASS_PRAGMA_UNROLL
      for (int m = 0; m < kWgBlocks; ++m) load_raw(shared, stage, 2 * m + wgi, tid, dst[m]);
    };
    auto convert = [&](int j) {
      CUTLASS_PRAGMA_UNROLL
      for (int m = 0; m < kWgBlocks; ++m) Frag::template convert<kLoadScales>(raw[m], j, tCrA32(_, m, j));
    };
    PipelineState smem_pipe_release = smem_pipe_read;
    // k-block j of the k-tile in stage read_stage: one wgmma batch on A register set j.
    auto issue = [&](int j, int read_stage) {
      warpgroup_arrive();
      cute::gemm(tiled_mma, tCrA(_, _, j), tCrB(_, _, j, read_stage), accum);
      tiled_mma.accumulate_ = GMMA::ScaleOut::One;
      warpgroup_commit_batch();
    };
    // After batch (t, j): at most K_WAIT_MAX pending, so the one that last read set j + 1
    // (mod 4), (t - 1, j + 1) or (t, 0), is complete; after step 3 all of k-tile t - 1 is,
    // and its stage can be refilled.
    auto wait_release = [&](int j) {
      warpgroup_wait<K_WAIT_MAX>();
      if (j == K_BLOCK_MAX - 1) {
        pipeline.consumer_release(smem_pipe_release);
        ++smem_pipe_release;
      }
    };
    tiled_mma.accumulate_ = GMMA::ScaleOut::Zero;
    warpgroup_fence_operand(accum);

    // First k-tile: no batch has read A yet, so set j + 1 is converted without a wait.
    auto barrier_token = pipeline.consumer_try_wait(smem_pipe_read);
    {
      pipeline.consumer_wait(smem_pipe_read, barrier_token);
      const int read_stage = smem_pipe_read.index();
      ++smem_pipe_read;
      barrier_token = pipeline.consumer_try_wait(smem_pipe_read);
      load_raws(raw, read_stage);
      convert(0);
      CUTLASS_PRAGMA_UNROLL
      for (int j = 0; j < K_BLOCK_MAX; ++j) {
        issue(j, read_stage);
        if (j < K_BLOCK_MAX - 1) convert(j + 1);
      }
      --k_tile_count;
      if (k_tile_count > 0) {
        pipeline.consumer_wait(smem_pipe_read, barrier_token);
        load_raws(raw, smem_pipe_read.index());
        // Set 0 was last read by batch (0, 0): done once at most K_WAIT_MAX are pending.
        warpgroup_wait<K_WAIT_MAX>();
        convert(0);
      }
    }
    if (k_tile_count == 0) {
      warpgroup_fence_operand(accum);
      return;
    }

    warpgroup_fence_operand(accum);
    // Main loop: k-tiles 1 .. k_tile_count - 2 of the remaining ones.
    CUTLASS_PRAGMA_NO_UNROLL
    for (; k_tile_count > 1; --k_tile_count) {
      const int read_stage = smem_pipe_read.index();
      ++smem_pipe_read;
      warpgroup_fence_operand(accum);
      CUTLASS_PRAGMA_UNROLL
      for (int j = 0; j < K_BLOCK_MAX; ++j) {
        issue(j, read_stage);
        wait_release(j);
        if (j == 0) barrier_token = pipeline.consumer_try_wait(smem_pipe_read);
        // The next stage's LDS two steps before its first conversion, so its latency is
        // not in the step-3 chain (wait -> LDS -> convert -> wgmma): -2 to -5 % at 64 tokens
        // (H200, bench_sm90_early_h200_18337c4.json).
        if (j == 1) {
          pipeline.consumer_wait(smem_pipe_read, barrier_token);
          load_raws(next, smem_pipe_read.index());
        }
        if (j == K_BLOCK_MAX - 1) {
          CUTLASS_PRAGMA_UNROLL
          for (int m = 0; m < kWgBlocks; ++m) raw[m] = next[m];
          convert(0);
        } else {
          convert(j + 1);
        }
      }
      warpgroup_fence_operand(accum);
    }

    warpgroup_fence_operand(accum);
    // Last k-tile: nothing to load after it.
    {
      const int read_stage = smem_pipe_read.index();
      warpgroup_fence_operand(accum);
      CUTLASS_PRAGMA_UNROLL
      for (int j = 0; j < K_BLOCK_MAX; ++j) {
        issue(j, read_stage);
        wait_release(j);
        if (j < K_BLOCK_MAX - 1) convert(j + 1);
      }
    }
    warpgroup_fence_operand(accum);
  }

  // All wgmma done; release the last stage (the only one mma() leaves held).
  CUTLASS_DEVICE void mma_tail(MainloopPipeline pipeline, PipelineState smem_pipe_release, int k_tile_count) {
    smem_pipe_release.advance(k_tile_count - 1);
    cute::warpgroup_wait<0>();
    pipeline.consumer_release(smem_pipe_release);
  }
};

}  // namespace qgemm::sm90
