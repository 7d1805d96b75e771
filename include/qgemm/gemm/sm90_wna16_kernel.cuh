// sm90a W4A16 GEMM: a warp-specialized GemmUniversal kernel (CUTLASS's cooperative one with
// two consumer warpgroups, sm90_wna16_wide_kernel.cuh with four) with the int4_k64 RS-wgmma
// mainloop (sm90_wna16_mainloop.cuh) and a TMA epilogue (LinCombPerRowBias: D = acc +
// bias[row], bias nullable).
//
//   Sm90Wna16<T, kKind, kCfg>  T = cutlass::half_t | cutlass::bfloat16_t
//
// Problem (N, M, K): D = out^T [N, M] column-major with stride (1, ldo), i.e. out [M, N]
// row-major. Build for sm_90a only.
#pragma once

#include <cuda_runtime.h>

#include <cute/tensor.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/epilogue/fusion/operations.hpp>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/dispatch_policy.hpp>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>

#include "qgemm/gemm/sm90_wna16_mainloop.cuh"
#include "qgemm/gemm/wna16_dispatch.hpp"

namespace qgemm::sm90 {

// Runtime arguments (the launcher validates them; can_implement checks the rest).
struct Wna16Sm90Args {
  const void* x;  // [M, K], row stride ldx
  int64_t ldx;
  const void* w;  // int4_k64 [K/64][N/64][2048]
  const void* scales;
  const void* zeros;
  const void* bias;  // [N] or nullptr
  void* out;         // [M, N], row stride ldo
  int64_t ldo;
  int M, N, K, group_size;
  int num_sms;
};

template <class T, WeightKind kKind, int kCfg>
struct Sm90Wna16 {
  static constexpr Wna16Sm90Config kC = kWna16Sm90Configs[kCfg];
  using TileShape = cute::Shape<cute::Int<kC.tile_w>, cute::Int<kC.tile_tok>, cute::_64>;
  using ClusterShape = cute::Shape<cute::_1, cute::_1, cute::_1>;
  static constexpr int kAlignOut = 8;

  // Bias epilogue through TMA. CUTLASS's epilogue needs the MMA's M tile to divide the
  // epilogue tile's: with two consumer warpgroups the builder's 128 x 32 subtiles; with four
  // the whole 256 rows (x 32), which the builder refuses for a cooperative epilogue (M must
  // be 128), so that one is assembled from the builder's own parts.
  using EpilogueOp = cutlass::epilogue::fusion::LinCombPerRowBias<T, float, T, T, float>;
  using EpilogueSchedule = cutlass::epilogue::TmaWarpSpecializedCooperative;
  using EpilogueTile = cute::Shape<cute::Int<kC.tile_w>, cute::_32>;
  // Its policy as the builder's for a void C (no smem reuse, delayed TMA store), with the
  // fragment of 512 consumer threads.
  static constexpr int kEpiTiles = kC.tile_tok / 32;
  using WideEpiloguePolicy = cutlass::epilogue::Sm90TmaWarpSpecialized<
      (kEpiTiles < 4 ? kEpiTiles : 4), (kEpiTiles < 2 ? kEpiTiles : 2), kC.tile_w * 32 / (128 * kC.consumer_wgs),
      false, true>;
  using WideEpilogue = cutlass::epilogue::collective::detail::Sm90TmaBuilderImpl<
      TileShape, EpilogueTile, float, float, void, cutlass::layout::ColumnMajor, kAlignOut, T,
      cutlass::layout::ColumnMajor, kAlignOut, EpilogueOp, WideEpiloguePolicy>;
  using BuiltEpilogue = cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float, void, cutlass::layout::ColumnMajor, kAlignOut, T,
      cutlass::layout::ColumnMajor, kAlignOut, EpilogueSchedule, EpilogueOp>;
  using CollectiveEpilogue =
      typename cute::conditional_t<kC.consumer_wgs == 2, BuiltEpilogue, WideEpilogue>::CollectiveOp;

  using CollectiveMainloop =
      Wna16MainloopRS<T, kKind, kCfg, static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage))>;
  static_assert(cute::is_same_v<typename CollectiveMainloop::TileShape, TileShape>, "");

  using TileScheduler = cute::conditional_t<kC.stream_k, cutlass::gemm::StreamKScheduler,
                                            cutlass::gemm::PersistentScheduler>;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  static typename Gemm::Arguments arguments(const Wna16Sm90Args& a, int device) {
    typename Kernel::StrideD stride_d = cute::make_stride(cute::_1{}, a.ldo, int64_t(0));
    typename CollectiveMainloop::Arguments ml{static_cast<const uint8_t*>(a.w), static_cast<const T*>(a.x), a.ldx,
                                              static_cast<const T*>(a.scales), static_cast<const T*>(a.zeros),
                                              a.group_size};
    typename CollectiveEpilogue::Arguments epi{};
    epi.thread.alpha = 1.0f;
    epi.thread.beta = 0.0f;
    epi.thread.bias_ptr = static_cast<const T*>(a.bias);
    epi.ptr_C = nullptr;
    epi.dC = stride_d;
    epi.ptr_D = static_cast<T*>(a.out);
    epi.dD = stride_d;
    cutlass::KernelHardwareInfo hw;
    hw.device_id = device;
    hw.sm_count = a.num_sms;
    typename Gemm::Arguments args{cutlass::gemm::GemmUniversalMode::kGemm, {a.N, a.M, a.K, 1}, ml, epi, hw};
    return args;
  }

  static size_t workspace_bytes(const Wna16Sm90Args& a) { return Gemm::get_workspace_size(arguments(a, 0)); }
};

}  // namespace qgemm::sm90
