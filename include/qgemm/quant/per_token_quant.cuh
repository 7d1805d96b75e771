// Dynamic per-token quantization of x [M, K] (one scale per row, computed over K):
// int8 symmetric, int8 asymmetric (plus a zero point per row), fp8 e4m3 with an optional
// upper bound on amax. Formulas in quant_math.cuh.
//
// One pass over x: each row group (row_group.cuh) loads its row once into registers,
// reduces amax (or min and max), writes the scale, and quantizes from the registers.
// Rows too long for registers (kVpt == 0) are read a second time, from L2.
// The launcher is in quant_launch.cuh.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/quant/quant_dispatch.hpp"
#include "qgemm/quant/quant_math.cuh"
#include "qgemm/quant/row_group.cuh"

namespace qgemm::quant {

struct PerTokenArgs {
  const void* x;          // [M, K] T, row stride ldx
  int64_t ldx;
  uint8_t* q;             // [M, K] int8 or e4m3 bytes, row stride ldq
  int64_t ldq;
  float* scale;           // [M]
  int32_t* zero_point;    // [M], asymmetric int8 only
  const float* scale_ub;  // fp8: device pointer to the bound on amax, or null: use scale_ub_value
  float scale_ub_value;   // fp8: +inf for no bound
  int64_t M;
  int K;
  bool vec;               // set by the launcher: 16-byte chunks (quant_math.cuh)
};

// The row's scale (and zero point) from a reduction over it, written by the group's
// thread 0; then the row's codes.
template <QuantKind kKind, class Row>
__device__ __forceinline__ void quantize_row(Row& row, int64_t r, uint8_t* q, float* scale, int32_t* zero_point,
                                             float ub, int K, bool vec) {
  RowScale rs;
  if constexpr (kKind == QuantKind::kInt8Asymmetric) {
    float m[2] = {0.0f, 0.0f};  // max(max x, 0) and max(max -x, 0) = -min(min x, 0)
    row.for_each([&](int, float(&v)[kChunk]) {
#pragma unroll
      for (int j = 0; j < kChunk; ++j) m[0] = fmaxf(m[0], v[j]), m[1] = fmaxf(m[1], -v[j]);
    });
    row_reduce(m, MaxOp{});
    rs = int8_asymmetric_scale(-m[1], m[0]);
  } else {
    float amax[1] = {0.0f};
    row.for_each([&](int, float(&v)[kChunk]) {
#pragma unroll
      for (int j = 0; j < kChunk; ++j) amax[0] = fmaxf(amax[0], fabsf(v[j]));
    });
    row_reduce(amax, MaxOp{});
    rs = kKind == QuantKind::kFp8E4m3 ? fp8_scale(amax[0], ub) : int8_symmetric_scale(amax[0]);
  }
  if (threadIdx.x == 0) {
    scale[r] = rs.s;
    if constexpr (kKind == QuantKind::kInt8Asymmetric) zero_point[r] = rs.zp;
  }
  row.for_each([&](int c, float(&v)[kChunk]) { store_codes(q, c, K, vec, quantize_chunk<kKind>(v, rs)); });
}

// kVpt > 0: kVpt chunks per thread held in registers (the plan, quant_dispatch.hpp,
// guarantees blockDim.x * kVpt * 8 >= K and a CTA within quant_max_threads(kVpt));
// kVpt == 0: up to 1024 threads, the row re-read on the second pass. One and two chunks
// per thread fit in 64 registers: two CTAs of 512 threads per SM.
template <class T, QuantKind kKind, int kVpt>
__global__ void __launch_bounds__(quant_max_threads(kVpt), kVpt == 1 || kVpt == 2 ? 2 : 1)
    per_token_quant_kernel(PerTokenArgs a) {
  pdl::wait_for_prior_grids();  // x (and the scale) may come from the kernel before
  pdl::launch_dependents();
  const float ub = kKind == QuantKind::kFp8E4m3 && a.scale_ub ? *a.scale_ub : a.scale_ub_value;
  const int nchunks = (a.K + kChunk - 1) / kChunk;
  for (int64_t r = first_row(); r < a.M; r += row_step()) {
    const T* x = static_cast<const T*>(a.x) + r * a.ldx;
    uint8_t* q = a.q + r * a.ldq;
    if constexpr (kVpt > 0) {
      RegisterRow<T, kVpt> row;
      row.nchunks = nchunks;
      row.load(x, a.K, a.vec);
      quantize_row<kKind>(row, r, q, a.scale, a.zero_point, ub, a.K, a.vec);
    } else {
      auto row = streamed_row([&](int c, float(&v)[kChunk]) { load_chunk(x, c, a.K, a.vec, v); }, nchunks);
      quantize_row<kKind>(row, r, q, a.scale, a.zero_point, ub, a.K, a.vec);
    }
  }
}

}  // namespace qgemm::quant
