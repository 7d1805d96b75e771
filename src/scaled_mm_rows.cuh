// Row selection shared by the W8A8 kernel families' translation units: each .cu holds
// every dispatch-table row of one family for one (operand, output) type pair, and these
// pick the instantiation Kernel<ElementAB, ElementOut, kCfg> with kCfg == cfg.
#pragma once

#include <cstddef>
#include <cuda_runtime.h>
#include <utility>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::ops {

template <template <class, class, int> class Kernel, class ElementAB, class ElementOut, int... kCfgs>
Status run_row(const ScaledMmParams& p, int cfg, cudaStream_t stream,
               std::integer_sequence<int, kCfgs...>) {
  Status s = Status::kUnsupported;
  ((cfg == kCfgs ? (s = Kernel<ElementAB, ElementOut, kCfgs>::run(p, stream), 0) : 0), ...);
  return s;
}

template <template <class, class, int> class Kernel, class ElementAB, class ElementOut, int... kCfgs>
size_t workspace_row(const ScaledMmParams& p, int cfg, std::integer_sequence<int, kCfgs...>) {
  size_t bytes = 0;
  ((cfg == kCfgs ? (bytes = Kernel<ElementAB, ElementOut, kCfgs>::workspace_bytes(p), 0) : 0), ...);
  return bytes;
}

}  // namespace qgemm::ops
