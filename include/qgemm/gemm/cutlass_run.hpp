// Runs a CUTLASS device-level GEMM (2.x or 3.x GemmUniversalAdapter) the launchers' way:
// check, workspace from the caller, initialize, launch on the stream; a Status back,
// never an exception, an allocation or a sync.
//
// Launched the ordinary way unless pdl (3.x adapters only, kMayUsePdl): compiled with
// CUTLASS's own grid dependency control and launched with PDL, the sm90 kernels made the 70B
// block 22-52 us slower at M = 256 on H100 (W8A8 whole op, W4A16), for 0-9 us gained at
// M <= 16 (benchmarks/results/bench_w8a8_pdl_ab_42e56ba.json). The weight-only sm90 kernel's
// peer-slot rows wait for the prior grid in their own mainloop instead (sm90_wna16_mainloop.cuh).
#pragma once

#include <cuda_runtime.h>

#include <cutlass/cutlass.h>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

template <class Gemm, bool kMayUsePdl = false>
Status run_cutlass_gemm(typename Gemm::Arguments const& args, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream, bool pdl = false) {
  Gemm gemm;
  if (gemm.can_implement(args) != cutlass::Status::kSuccess) return Status::kUnsupported;
  if (Gemm::get_workspace_size(args) > workspace_bytes) return Status::kWorkspaceTooSmall;
  if (gemm.initialize(args, workspace, stream) != cutlass::Status::kSuccess) return Status::kCudaError;
  cutlass::Status launched;
  if constexpr (kMayUsePdl)  // the 3.x adapter's run(stream, adapter, launch_with_pdl)
    launched = gemm.run(stream, /*cuda_adapter=*/nullptr, /*launch_with_pdl=*/pdl);
  else
    launched = gemm.run(stream);
  if (launched != cutlass::Status::kSuccess) return Status::kCudaError;
  return Status::kSuccess;
}

}  // namespace qgemm
