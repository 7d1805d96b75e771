// One translation unit's worth of sm90a W8A8 kernels: every dispatch-table row for one
// (operand, output) type pair. The four pairs live in four .cu files so that they
// compile in parallel.
#pragma once

#include <utility>

#include "qgemm/gemm/sm90_scaled_mm.cuh"
#include "scaled_mm_rows.cuh"

namespace qgemm::ops::sm90 {
using AllConfigs = std::make_integer_sequence<int, kNumSm90ScaledMmConfigs>;
}  // namespace qgemm::ops::sm90

// Defines run_<name>(params, cfg, stream) and workspace_<name>(params, cfg).
#define QGEMM_SM90_SCALED_MM_TU(name, ElementAB, ElementOut)                                     \
  namespace qgemm::ops::sm90 {                                                                   \
  Status run_##name(const ScaledMmParams& p, int cfg, cudaStream_t stream) {                     \
    return run_row<Sm90ScaledMm, ElementAB, ElementOut>(p, cfg, stream, AllConfigs{});           \
  }                                                                                              \
  size_t workspace_##name(const ScaledMmParams& p, int cfg) {                                    \
    return workspace_row<Sm90ScaledMm, ElementAB, ElementOut>(p, cfg, AllConfigs{});             \
  }                                                                                              \
  }
