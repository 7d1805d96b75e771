// The W8A8 GEMM's per-family entries, each defined in its own translation unit
// (src/scaled_mm_sm80.cu and src/scaled_mm_decode.cu for every listed architecture,
// src/scaled_mm_sm90.cu for 90a only) and routed by src/scaled_mm_ops.cu.
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

// The decode family (M <= 16, K % 64 == 0; mma.sync, int8 on sm_80+, fp8 e4m3 on sm_89+):
// src/scaled_mm_decode.cu, kernels in scaled_mm_decode_i8.cu / scaled_mm_decode_e4m3.cu.
bool scaled_mm_decode_built(Operand8 op);
bool scaled_mm_decode_serves(const ScaledMmParams& p);
// Whether the unforced decode plan keeps >= kScaledMmDecodeFullFill of the CTA slots busy.
bool scaled_mm_decode_fills_gpu(const ScaledMmParams& p);
Status scaled_mm_decode_entry(const ScaledMmParams& p, cudaStream_t stream);
size_t scaled_mm_decode_workspace_bytes(const ScaledMmParams& p);
std::string scaled_mm_decode_plan(const ScaledMmParams& p);
Status scaled_mm_decode_i8(const ScaledMmParams& p, cudaStream_t stream);
Status scaled_mm_decode_e4m3(const ScaledMmParams& p, cudaStream_t stream);

#if QGEMM_WITH_SM90A
// sm90a wgmma kernels (CUTLASS 3.x collectives), for sm_90 devices.
Status scaled_mm_sm90_entry(const ScaledMmParams& p, cudaStream_t stream);
size_t scaled_mm_sm90_workspace_bytes(const ScaledMmParams& p);
std::string scaled_mm_sm90_plan(const ScaledMmParams& p);
#endif

}  // namespace qgemm::ops
