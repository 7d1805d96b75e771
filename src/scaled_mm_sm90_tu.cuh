// One translation unit's worth of sm90a W8A8 kernels: every dispatch-table row for one
// (operand, output) type pair. The four pairs live in four .cu files so that they
// compile in parallel.
#pragma once

#include <utility>

#include "qgemm/gemm/sm90_scaled_mm.cuh"

namespace qgemm::ops::sm90 {

template <class ElementAB, class ElementOut, int... kCfgs>
Status run_row(const ScaledMmParams& p, int cfg, cudaStream_t stream,
               std::integer_sequence<int, kCfgs...>) {
  Status s = Status::kUnsupported;
  ((cfg == kCfgs ? (s = Sm90ScaledMm<ElementAB, ElementOut, kCfgs>::run(p, stream), 0) : 0), ...);
  return s;
}

template <class ElementAB, class ElementOut, int... kCfgs>
size_t workspace_row(const ScaledMmParams& p, int cfg, std::integer_sequence<int, kCfgs...>) {
  size_t bytes = 0;
  ((cfg == kCfgs ? (bytes = Sm90ScaledMm<ElementAB, ElementOut, kCfgs>::workspace_bytes(p), 0) : 0), ...);
  return bytes;
}

using AllConfigs = std::make_integer_sequence<int, kNumSm90ScaledMmConfigs>;

}  // namespace qgemm::ops::sm90

// Defines run_<name>(params, cfg, stream) and workspace_<name>(params, cfg).
#define QGEMM_SM90_SCALED_MM_TU(name, ElementAB, ElementOut)                                     \
  namespace qgemm::ops::sm90 {                                                                   \
  Status run_##name(const ScaledMmParams& p, int cfg, cudaStream_t stream) {                     \
    return run_row<ElementAB, ElementOut>(p, cfg, stream, AllConfigs{});                         \
  }                                                                                              \
  size_t workspace_##name(const ScaledMmParams& p, int cfg) {                                    \
    return workspace_row<ElementAB, ElementOut>(p, cfg, AllConfigs{});                           \
  }                                                                                              \
  }
