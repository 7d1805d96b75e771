// Static per-tensor quantization of x [M, K] with a given scale s (one float32 for the
// whole tensor): int8 symmetric, q = clamp(rint(x / s), -127, 127), or fp8 e4m3,
// q = e4m3(clamp(x / s, -448, 448)). Formulas in quant_math.cuh.
//
// s is read from device memory inside the kernel, so a CUDA graph captured once replays
// with whatever scale the tensor holds then. Elementwise: no reduction, no row cache.
// Rows are spread over threads as in the per-token kernels (row_group.cuh). The launcher
// is in quant_launch.cuh.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/quant/quant_math.cuh"
#include "qgemm/quant/row_group.cuh"

namespace qgemm::quant {

struct PerTensorArgs {
  const void* x;       // [M, K] T, row stride ldx
  int64_t ldx;
  uint8_t* q;          // [M, K] int8 or e4m3 bytes, row stride ldq
  int64_t ldq;
  const float* scale;  // device pointer to s (> 0)
  int64_t M;
  int K;
  bool vec;            // set by the launcher: 16-byte chunks (quant_math.cuh)
};

// kKind: kInt8Symmetric or kFp8E4m3.
template <class T, QuantKind kKind>
__global__ void __launch_bounds__(1024) per_tensor_quant_kernel(PerTensorArgs a) {
  static_assert(kKind != QuantKind::kInt8Asymmetric, "static quantization is symmetric");
  pdl::wait_for_prior_grids();  // x (and the scale) may come from the kernel before
  pdl::launch_dependents();
  const RowScale rs{*a.scale, 0.0f, 0};  // y unused: true division by the caller's s
  const int nchunks = (a.K + kChunk - 1) / kChunk;
  for (int64_t r = first_row(); r < a.M; r += row_step()) {
    const T* x = static_cast<const T*>(a.x) + r * a.ldx;
    uint8_t* q = a.q + r * a.ldq;
    for (int c = threadIdx.x; c < nchunks; c += blockDim.x) {
      float v[kChunk];
      load_chunk(x, c, a.K, a.vec, v);
      store_codes(q, c, a.K, a.vec, quantize_chunk<kKind, true>(v, rs));
    }
  }
}

}  // namespace qgemm::quant
