// Runs a CUTLASS device-level GEMM (2.x or 3.x GemmUniversalAdapter) the launchers' way:
// check, workspace from the caller, initialize, launch on the stream; a Status back,
// never an exception, an allocation or a sync.
//
// sm90 (3.x) kernels go out with programmatic dependent launch (dependent_launch.cuh) when
// the translation unit compiles CUTLASS's grid dependency control in (CUTLASS_GDC_ENABLED
// defined on the command line of sm_90a-only files, as src/CMakeLists.txt does): their
// producer warps then wait for the kernel before them (cutlass::arch::wait_on_dependent_grids)
// before loading any operand. Without it they are launched the ordinary way.
#pragma once

#include <cuda_runtime.h>

#include <cutlass/cutlass.h>
#include <cutlass/device_kernel.h>
#include <cutlass/gemm/gemm.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

namespace detail {
template <class Gemm>
bool cutlass_launch_with_pdl() {
#if defined(CUTLASS_GDC_ENABLED)
  using K = typename Gemm::GemmKernel;
  if constexpr (cutlass::gemm::detail::IsCutlass3GemmKernel<K>::value) {
    if constexpr (K::ArchTag::kMinComputeCapability >= 90) return pdl::use_for<cutlass::device_kernel<K>>();
  }
#endif
  return false;
}
}  // namespace detail

template <class Gemm>
Status run_cutlass_gemm(typename Gemm::Arguments const& args, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream) {
  Gemm gemm;
  if (gemm.can_implement(args) != cutlass::Status::kSuccess) return Status::kUnsupported;
  if (Gemm::get_workspace_size(args) > workspace_bytes) return Status::kWorkspaceTooSmall;
  if (gemm.initialize(args, workspace, stream) != cutlass::Status::kSuccess) return Status::kCudaError;
  if constexpr (cutlass::gemm::detail::IsCutlass3GemmKernel<typename Gemm::GemmKernel>::value) {
    if (gemm.run(stream, nullptr, detail::cutlass_launch_with_pdl<Gemm>()) != cutlass::Status::kSuccess)
      return Status::kCudaError;
  } else if (gemm.run(stream) != cutlass::Status::kSuccess) {
    return Status::kCudaError;
  }
  return Status::kSuccess;
}

}  // namespace qgemm
