// One translation unit's worth of sm80-class W8A8 kernels: every dispatch-table row for
// one (operand, output) type pair. The four pairs live in four .cu files so that they
// compile in parallel; the two fp8 ones only for sm_89+ (see src/CMakeLists.txt).
#pragma once

#include <utility>

#include "qgemm/gemm/sm80_scaled_mm.cuh"
#include "scaled_mm_rows.cuh"

namespace qgemm::ops::sm80 {
using AllConfigs = std::make_integer_sequence<int, kNumSm80ScaledMmConfigs>;
}  // namespace qgemm::ops::sm80

// Defines run_<name>(params, cfg, stream) and workspace_<name>(params, cfg).
#define QGEMM_SM80_SCALED_MM_TU(name, ElementAB, ElementOut)                                     \
  namespace qgemm::ops::sm80 {                                                                   \
  Status run_##name(const ScaledMmParams& p, int cfg, cudaStream_t stream) {                     \
    return run_row<Sm80ScaledMm, ElementAB, ElementOut>(p, cfg, stream, AllConfigs{});           \
  }                                                                                              \
  size_t workspace_##name(const ScaledMmParams& p, int cfg) {                                    \
    return workspace_row<Sm80ScaledMm, ElementAB, ElementOut>(p, cfg, AllConfigs{});             \
  }                                                                                              \
  }
