// sm90a W8A8 GEMM: CUTLASS 3.x TMA + wgmma collectives (int8 x int8 -> int32, or
// fp8 e4m3 x e4m3 -> fp32 with fast accumulation) and the scale epilogue tree of
// epilogue/sm90_scaled_epilogue.hpp, one instantiation per row of the dispatch table.
//
//   Sm90ScaledMm<ElementAB, ElementOut, kConfig>::run(params, stream) -> Status
//
// Build for sm_90a only (wgmma and TMA have no other target).
#pragma once

#include <cuda_runtime.h>

#include <cute/tensor.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/gemm/collective/collective_builder.hpp>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/dispatch_policy.hpp>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>

#include "qgemm/epilogue/sm90_scaled_epilogue.hpp"
#include "qgemm/gemm/cutlass_run.hpp"
#include "qgemm/gemm/scaled_mm_dispatch.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

template <class ElementAB, class ElementOut, int kConfig>
struct Sm90ScaledMm {
  static constexpr Sm90ScaledMmConfig kCfg = kSm90ScaledMmConfigs[kConfig];
  static constexpr bool kInt8 = cute::is_same_v<ElementAB, int8_t>;
  static constexpr bool kSwap = kCfg.swap_ab;
  static_assert(kInt8 || cute::is_same_v<ElementAB, cutlass::float_e4m3_t>);
  static_assert(!kCfg.stream_k || kCfg.cooperative, "stream-K needs the cooperative kernel");

  using ElementAcc = cute::conditional_t<kInt8, int32_t, float>;
  using TileShape = cute::Shape<cute::Int<kCfg.tile_m>, cute::Int<kCfg.tile_n>, cute::Int<kCfg.tile_k>>;
  using ClusterShape = cute::Shape<cute::Int<kCfg.cluster_m>, cute::Int<kCfg.cluster_n>, cute::_1>;

  // fp8: accumulate inside the tensor core without periodic fp32 promotion (FastAccum).
  using CoopSchedule = cute::conditional_t<kInt8, cutlass::gemm::KernelTmaWarpSpecializedCooperative,
                                           cutlass::gemm::KernelTmaWarpSpecializedCooperativeFP8FastAccum>;
  using PingpongSchedule = cute::conditional_t<kInt8, cutlass::gemm::KernelTmaWarpSpecializedPingpong,
                                               cutlass::gemm::KernelTmaWarpSpecializedPingpongFP8FastAccum>;
  using KernelSchedule = cute::conditional_t<kCfg.cooperative, CoopSchedule, PingpongSchedule>;
  using EpilogueSchedule = cute::conditional_t<kCfg.cooperative, cutlass::epilogue::TmaWarpSpecializedCooperative,
                                               cutlass::epilogue::TmaWarpSpecialized>;
  using TileScheduler = cute::conditional_t<kCfg.stream_k, cutlass::gemm::StreamKScheduler,
                                            cutlass::gemm::PersistentScheduler>;

  using Epilogue = epilogue::Sm90ScaledEpilogue<ElementOut, TileShape, kSwap, kInt8>;
  // D is out [M, N] row-major, or out^T [N, M] column-major (the same bytes) when swapped.
  using LayoutD = cute::conditional_t<kSwap, cutlass::layout::ColumnMajor, cutlass::layout::RowMajor>;
  static constexpr int kAlignOut = 16 / int(sizeof(ElementOut));
  static constexpr int kAlignAB = 16;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, ElementAcc, float, void, LayoutD, kAlignOut,
      ElementOut, LayoutD, kAlignOut, EpilogueSchedule, typename Epilogue::Tree>::CollectiveOp;

  // Both operands K-major (the only order 8-bit wgmma takes): A row-major, B column-major.
  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, ElementAB, cutlass::layout::RowMajor, kAlignAB,
      ElementAB, cutlass::layout::ColumnMajor, kAlignAB, ElementAcc, TileShape, ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      KernelSchedule>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  static typename Gemm::Arguments arguments(const ScaledMmParams& p, int device) {
    using cute::_0;
    using cute::_1;
    // Kernel operands: A [rows, K] and B [cols, K], both with unit stride along K.
    const void* a = kSwap ? p.b : p.a;
    const void* b = kSwap ? p.a : p.b;
    const int64_t lda = kSwap ? p.ldb : p.lda;
    const int64_t ldb = kSwap ? p.lda : p.ldb;
    const int rows = kSwap ? p.N : p.M;
    const int cols = kSwap ? p.M : p.N;
    typename Kernel::StrideA stride_a = cute::make_stride(lda, _1{}, int64_t(0));
    typename Kernel::StrideB stride_b = cute::make_stride(ldb, _1{}, int64_t(0));
    typename Kernel::StrideD stride_d;
    if constexpr (kSwap)
      stride_d = cute::make_stride(_1{}, p.ldo, int64_t(0));
    else
      stride_d = cute::make_stride(p.ldo, _1{}, int64_t(0));

    cutlass::KernelHardwareInfo hw;
    hw.device_id = device;
    hw.sm_count = p.num_sms;
    typename Gemm::Arguments args{
        cutlass::gemm::GemmUniversalMode::kGemm,
        {rows, cols, p.K, 1},
        {static_cast<const ElementAB*>(a), stride_a, static_cast<const ElementAB*>(b), stride_b},
        {Epilogue::arguments(p), nullptr, stride_d, static_cast<ElementOut*>(p.out), stride_d},
        hw};
    return args;
  }

  static size_t workspace_bytes(const ScaledMmParams& p) {
    return Gemm::get_workspace_size(arguments(p, 0));
  }

  static Status run(const ScaledMmParams& p, cudaStream_t stream) {
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess) return Status::kCudaError;
    return run_cutlass_gemm<Gemm>(arguments(p, device), p.workspace, p.workspace_bytes, stream);
  }
};

}  // namespace qgemm
