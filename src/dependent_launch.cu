// The extension's programmatic-dependent-launch switch (include/qgemm/dependent_launch.cuh),
// for benchmarks that measure its gain and for users who want ordinary launches.
#include <cuda_fp16.h>

#include "ops.hpp"
#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/splitk_reduce.cuh"

namespace qgemm::ops {

void set_dependent_launch(bool on) { pdl::set_enabled(on); }

bool dependent_launch_enabled() { return pdl::enabled(); }

// Whether this build's sm80-class kernels go out with PDL on the current device now: the
// switch is on and their binary for the device was compiled for sm_90+ (the split-K reduce
// stands for them: it is compiled with the same architecture list).
bool dependent_launch_active() { return pdl::use_for<wna16_splitk_reduce_kernel<__half>>(); }

}  // namespace qgemm::ops
