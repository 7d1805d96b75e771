// Runs a CUTLASS device-level GEMM (2.x or 3.x GemmUniversalAdapter) the launchers' way:
// check, workspace from the caller, initialize, launch on the stream; a Status back,
// never an exception, an allocation or a sync.
//
// Launched the ordinary way, not with programmatic dependent launch (dependent_launch.cuh):
// compiled with CUTLASS's grid dependency control and launched with PDL, the sm90 kernels
// made the 70B block 22-52 us slower at M = 256 on H100 (W8A8 whole op, W4A16), for 0-9 us
// gained at M <= 16 (benchmarks/results/bench_w8a8_pdl_ab_42e56ba.json).
#pragma once

#include <cuda_runtime.h>

#include <cutlass/cutlass.h>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

template <class Gemm>
Status run_cutlass_gemm(typename Gemm::Arguments const& args, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream) {
  Gemm gemm;
  if (gemm.can_implement(args) != cutlass::Status::kSuccess) return Status::kUnsupported;
  if (Gemm::get_workspace_size(args) > workspace_bytes) return Status::kWorkspaceTooSmall;
  if (gemm.initialize(args, workspace, stream) != cutlass::Status::kSuccess) return Status::kCudaError;
  if (gemm.run(stream) != cutlass::Status::kSuccess) return Status::kCudaError;
  return Status::kSuccess;
}

}  // namespace qgemm
