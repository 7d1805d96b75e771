// sm80-class W8A8 GEMM: CUTLASS 2.x multistage mma.sync mainloop (cp.async; int8 x int8
// -> int32 on sm_80+, fp8 e4m3 x e4m3 -> fp32 on sm_89+) and the scale epilogue tree of
// epilogue/sm80_scaled_epilogue.hpp, one instantiation per row of the dispatch table
// (gemm/scaled_mm_dispatch.hpp, kSm80ScaledMmConfigs).
//
//   Sm80ScaledMm<ElementAB, ElementOut, kConfig>::run(params, stream) -> Status
//
// CTAs take tiles in the order of CUTLASS's identity swizzle (rasterized in groups of
// up to 8 tiles for L2 reuse),
// data-parallel: no split-K, no workspace.
//
// Build the fp8 instantiations for sm_89+ only (mma.sync with e4m3 operands).
#pragma once

#include <cuda_runtime.h>

#include <cute/tensor.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/gemm/device/gemm_universal_adapter.h>
#include <cutlass/gemm/kernel/default_gemm_universal_with_visitor.h>
#include <cutlass/gemm/threadblock/threadblock_swizzle.h>

#include "qgemm/epilogue/sm80_scaled_epilogue.hpp"
#include "qgemm/gemm/cutlass_run.hpp"
#include "qgemm/gemm/scaled_mm_dispatch.hpp"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

template <class ElementAB, class ElementOut, int kConfig>
struct Sm80ScaledMm {
  static constexpr Sm80ScaledMmConfig kCfg = kSm80ScaledMmConfigs[kConfig];
  static constexpr bool kInt8 = cute::is_same_v<ElementAB, int8_t>;
  static_assert(kInt8 || cute::is_same_v<ElementAB, cutlass::float_e4m3_t>);

  using ElementAcc = cute::conditional_t<kInt8, int32_t, float>;
  // int8: the saturating s32 mma (the one CUTLASS provides; |acc| < 2^31 for K <= 2^17).
  // fp8: FastAccum (as the sm90 kernels): the mma accumulates straight into the fp32
  // accumulators, without CUTLASS's sm89 staged form that keeps a second register set.
  using ArchTag = cute::conditional_t<kInt8, cutlass::arch::Sm80, cutlass::arch::Sm89>;
  using MathOp = cute::conditional_t<kInt8, cutlass::arch::OpMultiplyAddSaturate,
                                     cutlass::arch::OpMultiplyAddFastAccum>;
  static_assert(kCfg.tile_m % kCfg.warp_m == 0 && kCfg.tile_n % kCfg.warp_n == 0 &&
                kCfg.tile_k % kCfg.warp_k == 0, "warp tiles must divide the CTA tile");
  static_assert(kCfg.stages * (kCfg.tile_m + kCfg.tile_n) * kCfg.tile_k <= 99 * 1024,
                "shared memory above the 99 KiB an sm_86 / sm_89 block may have");
  using TileShape = cutlass::gemm::GemmShape<kCfg.tile_m, kCfg.tile_n, kCfg.tile_k>;
  using WarpShape = cutlass::gemm::GemmShape<kCfg.warp_m, kCfg.warp_n, kCfg.warp_k>;
  using InstructionShape = cutlass::gemm::GemmShape<16, 8, 32>;
  static constexpr int kAlignAB = 16;
  static constexpr int kAlignOut = 16 / int(sizeof(ElementOut));

  using ThreadMap = cutlass::epilogue::threadblock::OutputTileThreadLayout<TileShape, WarpShape, ElementOut,
                                                                           kAlignOut, 1>;
  using Epilogue = epilogue::Sm80ScaledEpilogue<ThreadMap, ElementOut, kInt8>;
  using Swizzle = cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<8>;

  // A [M, K] row-major and B [N, K] (= a column-major K x N): both K-contiguous.
  using Kernel = typename cutlass::gemm::kernel::DefaultGemmWithVisitor<
      ElementAB, cutlass::layout::RowMajor, cutlass::ComplexTransform::kNone, kAlignAB,
      ElementAB, cutlass::layout::ColumnMajor, cutlass::ComplexTransform::kNone, kAlignAB,
      ElementOut, cutlass::layout::RowMajor, kAlignOut, ElementAcc, float,
      cutlass::arch::OpClassTensorOp, ArchTag, TileShape, WarpShape, InstructionShape,
      typename Epilogue::Tree, Swizzle, kCfg.stages, MathOp, 1>::GemmKernel;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  static typename Gemm::Arguments arguments(const ScaledMmParams& p) {
    // One batch, no split-K slices (the visitor kernel supports neither serial nor
    // parallel split-K). C and D are unused: the tree's store writes out.
    return typename Gemm::Arguments(cutlass::gemm::GemmUniversalMode::kGemm, {p.M, p.N, p.K}, 1,
                                    Epilogue::arguments(p), p.a, p.b, nullptr, nullptr, 0, 0, 0, 0,
                                    p.lda, p.ldb, 0, 0);
  }

  // 0 for these kernels; asked of CUTLASS all the same, so that a change of mapping
  // cannot outgrow the caller's workspace unnoticed.
  static size_t workspace_bytes(const ScaledMmParams& p) {
    return Gemm::get_workspace_size(arguments(p));
  }

  static Status run(const ScaledMmParams& p, cudaStream_t stream) {
    return run_cutlass_gemm<Gemm>(arguments(p), p.workspace, p.workspace_bytes, stream);
  }
};

}  // namespace qgemm
