// sm90a W4A16 GEMM: CUTLASS's cooperative warp-specialized GemmUniversal kernel with the
// int4_k64 RS-wgmma mainloop (sm90_wna16_mainloop.cuh) and a TMA epilogue
// (LinCombPerRowBias: D = acc + bias[row], bias nullable). The stream-K rows' scheduler adds
// peer slots (sm90_stream_k_slots.hpp) to CUTLASS's reductions; the schedule names which.
//
//   Sm90Wna16<T, kKind, kCfg, kEpilogueScale>  T = cutlass::half_t | cutlass::bfloat16_t
//
// kEpilogueScale (per-channel int8; any kind without zeros could): the epilogue multiplies the fp32 accumulators by
// the channel's scale (PerRowLinCombPerRowBiasEltAct: D = scale[row] * acc + bias[row]) and
// the mainloop feeds wgmma the integers themselves (exact in fp16 / bf16).
//
// Problem (N, M, K): D = out^T [N, M] column-major with stride (1, ldo), i.e. out [M, N]
// row-major. Build for sm_90a only.
#pragma once

#include <cuda_runtime.h>

#include <cute/tensor.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/epilogue/collective/collective_builder.hpp>
#include <cutlass/epilogue/fusion/operations.hpp>
#include <cutlass/epilogue/thread/activation.h>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/dispatch_policy.hpp>
#include <cutlass/gemm/kernel/gemm_universal.hpp>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>

#include "qgemm/gemm/sm90_stream_k_slots.hpp"
#include "qgemm/gemm/sm90_wna16_mainloop.cuh"
#include "qgemm/gemm/wna16_dispatch.hpp"

namespace qgemm::sm90 {

// Wna16Sm90Schedule's decomposition is passed to the scheduler by value.
static_assert(int(cutlass::gemm::kernel::detail::DecompositionMode::Heuristic) == int(Sm90Decomposition::kHeuristic) &&
                  int(cutlass::gemm::kernel::detail::DecompositionMode::DataParallel) ==
                      int(Sm90Decomposition::kDataParallel) &&
                  int(cutlass::gemm::kernel::detail::DecompositionMode::SplitK) == int(Sm90Decomposition::kSplitK) &&
                  int(cutlass::gemm::kernel::detail::DecompositionMode::StreamK) == int(Sm90Decomposition::kStreamK),
              "Sm90Decomposition follows CUTLASS's DecompositionMode");

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
  Wna16Sm90Schedule schedule;  // stream-K rows only
};

template <class T, WeightKind kKind, int kCfg, bool kEpilogueScale = false>
struct Sm90Wna16 {
  static constexpr Wna16Sm90Config kC = kWna16Sm90Configs[kCfg];
  using TileShape = cute::Shape<cute::Int<kC.tile_w>, cute::Int<kC.tile_tok>, cute::_64>;
  using ClusterShape = cute::Shape<cute::_1, cute::_1, cute::_1>;
  static constexpr int kAlignOut = 8;

  using FusionOp = cute::conditional_t<
      kEpilogueScale,
      cutlass::epilogue::fusion::PerRowLinCombPerRowBiasEltAct<cutlass::epilogue::thread::Identity, T, float, T, T, T>,
      cutlass::epilogue::fusion::LinCombPerRowBias<T, float, T, T, float>>;
  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float, void, cutlass::layout::ColumnMajor, kAlignOut, T,
      cutlass::layout::ColumnMajor, kAlignOut, cutlass::epilogue::TmaWarpSpecializedCooperative,
      FusionOp>::CollectiveOp;

  using CollectiveMainloop = Wna16MainloopRS<T, kKind, kCfg,
                                             static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage)),
                                             kEpilogueScale>;
  static_assert(cute::is_same_v<typename CollectiveMainloop::TileShape, TileShape>, "");

  using TileScheduler = cute::conditional_t<kC.stream_k, StreamKSlotsScheduler, cutlass::gemm::PersistentScheduler>;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  static typename Gemm::Arguments arguments(const Wna16Sm90Args& a, int device) {
    typename Kernel::StrideD stride_d = cute::make_stride(cute::_1{}, a.ldo, int64_t(0));
    typename CollectiveMainloop::Arguments ml{static_cast<const uint8_t*>(a.w), static_cast<const T*>(a.x), a.ldx,
                                              static_cast<const T*>(a.scales), static_cast<const T*>(a.zeros),
                                              a.group_size};
    typename CollectiveEpilogue::Arguments epi{};
    if constexpr (kEpilogueScale) {
      epi.thread.alpha_ptr = static_cast<const T*>(a.scales);  // [1, N]: one scale a weight row
      epi.thread.beta = T(0.0f);
    } else {
      epi.thread.alpha = 1.0f;
      epi.thread.beta = 0.0f;
    }
    epi.thread.bias_ptr = static_cast<const T*>(a.bias);
    epi.ptr_C = nullptr;
    epi.dC = stride_d;
    epi.ptr_D = static_cast<T*>(a.out);
    epi.dD = stride_d;
    cutlass::KernelHardwareInfo hw;
    hw.device_id = device;
    hw.sm_count = a.num_sms;
    typename Gemm::Arguments args{cutlass::gemm::GemmUniversalMode::kGemm, {a.N, a.M, a.K, 1}, ml, epi, hw};
    if constexpr (kC.stream_k) {
      using Mode = cutlass::gemm::kernel::detail::DecompositionMode;
      using Reduction = cutlass::gemm::kernel::detail::ReductionMode;
      args.scheduler.decomposition_mode = static_cast<Mode>(static_cast<int>(a.schedule.decomposition));
      args.scheduler.splits = a.schedule.splits;
      switch (a.schedule.reduction) {
        case Sm90Reduction::kArrivalOrder: args.scheduler.reduction_mode = Reduction::Nondeterministic; break;
        case Sm90Reduction::kTurnstile: args.scheduler.reduction_mode = Reduction::Deterministic; break;
        default: args.scheduler.reduction_mode = kReductionPeerSlots; break;
      }
    }
    return args;
  }

  static size_t workspace_bytes(const Wna16Sm90Args& a) { return Gemm::get_workspace_size(arguments(a, 0)); }
};

}  // namespace qgemm::sm90
