// The W8A8 GEMM's per-architecture entries, each defined in its own translation unit
// (src/scaled_mm_sm80.cu for every listed architecture, src/scaled_mm_sm90.cu for 90a
// only) and routed by src/scaled_mm_ops.cu.
#pragma once

#include <cstddef>
#include <cuda_runtime.h>
#include <string>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::ops {

// sm80-class mma.sync kernels (int8 on sm_80+, fp8 e4m3 on sm_89+).
Status scaled_mm_sm80_entry(const ScaledMmParams& p, cudaStream_t stream);
size_t scaled_mm_sm80_workspace_bytes(const ScaledMmParams& p);
std::string scaled_mm_sm80_plan(const ScaledMmParams& p);

#if QGEMM_WITH_SM90A
// sm90a wgmma kernels (CUTLASS 3.x collectives), for sm_90 devices.
Status scaled_mm_sm90_entry(const ScaledMmParams& p, cudaStream_t stream);
size_t scaled_mm_sm90_workspace_bytes(const ScaledMmParams& p);
std::string scaled_mm_sm90_plan(const ScaledMmParams& p);
#endif

}  // namespace qgemm::ops
