// Split-K epilogue of the weight-only kernels that write fp32 partials [splits, M, N]
// (the sm80 kernel, the k64 decode kernel): sum in split order (deterministic), add the
// bias, cast to the output type.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/numeric/int_to_float.cuh"
#include "qgemm/status.hpp"

namespace qgemm {

// Each thread: 4 columns (N % 4 == 0).
template <typename T>
__global__ void __launch_bounds__(256) wna16_splitk_reduce_kernel(const float* __restrict__ partials,
                                                                  const T* __restrict__ bias, T* __restrict__ out,
                                                                  int64_t ldo, int M, int N, int splits) {
  using P = numeric::Pair<T>;
  pdl::wait_for_prior_grids();  // a no-op as launched (below); there for PDL launches
  pdl::launch_dependents();      // the next GEMM may launch while this sum runs
  const int64_t quads = int64_t(M) * (N / 4);
  const int64_t slice = int64_t(M) * N;
  for (int64_t q = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; q < quads; q += int64_t(gridDim.x) * blockDim.x) {
    const int m = int(q / (N / 4));
    const int n = int(q - int64_t(m) * (N / 4)) * 4;
    const float* p = partials + int64_t(m) * N + n;
    float4 s = *reinterpret_cast<const float4*>(p);
    for (int k = 1; k < splits; ++k) {
      const float4 v = *reinterpret_cast<const float4*>(p + k * slice);
      s.x += v.x; s.y += v.y; s.z += v.z; s.w += v.w;
    }
    if (bias != nullptr) {
      s.x += float(bias[n]); s.y += float(bias[n + 1]); s.z += float(bias[n + 2]); s.w += float(bias[n + 3]);
    }
    uint32_t* o = reinterpret_cast<uint32_t*>(out + int64_t(m) * ldo + n);
    o[0] = P::pack(s.x, s.y);
    o[1] = P::pack(s.z, s.w);
  }
}

// Launches the reduction (at most 8 CTAs per SM, grid-stride) through cudaLaunchKernel, so
// the status is this launch's own. The ordinary way, not with PDL: on H100 its CTAs,
// resident early and waiting while the GEMM's last CTAs ran, made the 70B block 7-21 us
// slower at M = 16 (benchmarks/results/pdl_variants_h100_4e69f69.txt); its early trigger
// still lets the next (PDL-launched) GEMM start during the sum.
template <typename T>
Status launch_splitk_reduce(const float* partials, const T* bias, T* out, int64_t ldo, int M, int N, int splits,
                            int num_sms, cudaStream_t stream) {
  const int64_t quads = int64_t(M) * (N / 4);
  int64_t blocks = (quads + 255) / 256;
  const int64_t cap = int64_t(num_sms) * 8;
  if (blocks > cap) blocks = cap;
  void* rargs[] = {&partials, &bias, &out, &ldo, &M, &N, &splits};
  if (cudaLaunchKernel(wna16_splitk_reduce_kernel<T>, dim3(unsigned(blocks)), dim3(256), rargs, size_t(0), stream) !=
      cudaSuccess)
    return Status::kCudaError;
  return Status::kSuccess;
}

}  // namespace qgemm
