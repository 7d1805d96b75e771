// Fused residual add + RMSNorm + per-token quantization, per row of x [M, K]:
//
//   residual = x + residual            in T, rounded once, stored back in place
//   y        = float(residual) * (1 / sqrt(sum(residual^2) / K + eps)) * float(weight)
//                                      float32, never rounded to T
//   q, scale = per-token int8 symmetric or fp8 e4m3 (optional bound on amax) of y
//
// as python/qgemm/reference/activation_quant.py's fused_add_rmsnorm_quant. The sum of
// squares is a float32 sum in this kernel's fixed order (thread, then butterfly over the
// warp, then warps in turn): it differs from torch's order by an ulp or so, so normed
// values and scales can differ from the reference in the last bits.
//
// x and residual are read once (the rounded sum stays in registers, in T, for the norm
// and the quantization); the norm is applied on each of the two later passes, so weight
// is read twice per row, from L1/L2. Rows too long for registers
// (kVpt == 0) re-read the residual they just wrote (each thread its own chunks).
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/quant/per_token_quant.cuh"
#include "qgemm/quant/quant_dispatch.hpp"
#include "qgemm/quant/quant_math.cuh"
#include "qgemm/quant/row_group.cuh"

namespace qgemm::quant {

struct FusedAddRmsNormQuantArgs {
  const void* x;          // [M, K] T, row stride ldx
  int64_t ldx;
  void* residual;         // [M, K] T, row stride ldr; read, then overwritten with x + residual
  int64_t ldr;
  const void* weight;     // [K] T, or float32 when weight_f32
  bool weight_f32;
  uint8_t* q;             // [M, K] int8 or e4m3 bytes, row stride ldq
  int64_t ldq;
  float* scale;           // [M]
  const float* scale_ub;  // fp8 only, as in PerTokenArgs
  float scale_ub_value;
  float eps;
  int64_t M;
  int K;
  bool vec;               // set by the launcher: 16-byte chunks for x, residual and weight
};

template <class T>
__device__ __forceinline__ void load_weight(const FusedAddRmsNormQuantArgs& a, int c, float (&w)[kChunk]) {
  if (a.weight_f32)
    load_chunk(static_cast<const float*>(a.weight), c, a.K, a.vec, w);
  else
    load_chunk(static_cast<const T*>(a.weight), c, a.K, a.vec, w);
}

// 1 / sqrt(mean(residual^2) + eps); the mean is sum * RN(1 / K), as torch's mean.
__device__ __forceinline__ float rms_inverse(float sum_sq, int K, float eps) {
  return rsqrt_rn(__fadd_rn(__fmul_rn(sum_sq, reciprocal_rn(float(K))), eps));
}

// v (the rounded sum) times inv_rms times weight, in that order.
template <class T>
__device__ __forceinline__ void rms_normalize(const FusedAddRmsNormQuantArgs& a, int c, float inv_rms,
                                              float (&v)[kChunk]) {
  float w[kChunk];
  load_weight<T>(a, c, w);
#pragma unroll
  for (int j = 0; j < kChunk; ++j) v[j] = __fmul_rn(__fmul_rn(v[j], inv_rms), w[j]);
}

// kKind: kInt8Symmetric or kFp8E4m3. kVpt as in per_token_quant_kernel.
template <class T, QuantKind kKind, int kVpt>
__global__ void __launch_bounds__(quant_max_threads(kVpt, /*fused=*/true))
    fused_add_rmsnorm_quant_kernel(FusedAddRmsNormQuantArgs a) {
  static_assert(kKind != QuantKind::kInt8Asymmetric, "the fused kernel quantizes symmetrically");
  pdl::wait_for_prior_grids();  // x and the residual may come from the kernel before
  pdl::launch_dependents();
  const float ub = kKind == QuantKind::kFp8E4m3 && a.scale_ub ? *a.scale_ub : a.scale_ub_value;
  const int nchunks = (a.K + kChunk - 1) / kChunk;
  for (int64_t r = first_row(); r < a.M; r += row_step()) {
    const T* x = static_cast<const T*>(a.x) + r * a.ldx;
    T* res = static_cast<T*>(a.residual) + r * a.ldr;
    uint8_t* q = a.q + r * a.ldq;

    // Pass 1: residual = x + residual (rounded to T, stored), and the sum of squares.
    float ss[1] = {0.0f};
    auto add = [&](int c, float(&v)[kChunk]) {
      float rv[kChunk];
      load_chunk(x, c, a.K, a.vec, v);
      load_chunk(static_cast<const T*>(res), c, a.K, a.vec, rv);
#pragma unroll
      for (int j = 0; j < kChunk; ++j) {
        v[j] = round_to<T>(__fadd_rn(v[j], rv[j]));
        ss[0] = __fmaf_rn(v[j], v[j], ss[0]);
      }
      store_chunk(res, c, a.K, a.vec, v);
    };
    if constexpr (kVpt > 0) {
      RegisterRow<T, kVpt> row;
      row.nchunks = nchunks;
      row.fill(add);
      row_reduce(ss, SumOp{});
      const float inv_rms = rms_inverse(ss[0], a.K, a.eps);
      auto normed = mapped_row(row, [&](int c, float(&v)[kChunk]) { rms_normalize<T>(a, c, inv_rms, v); });
      quantize_row<kKind>(normed, r, q, a.scale, nullptr, ub, a.K, a.vec);
    } else {
      float v[kChunk];
      for (int c = threadIdx.x; c < nchunks; c += blockDim.x) add(c, v);
      row_reduce(ss, SumOp{});
      const float inv_rms = rms_inverse(ss[0], a.K, a.eps);
      auto row = streamed_row(
          [&](int c, float(&v)[kChunk]) {
            load_chunk(static_cast<const T*>(res), c, a.K, a.vec, v);
            rms_normalize<T>(a, c, inv_rms, v);
          },
          nchunks);
      quantize_row<kKind>(row, r, q, a.scale, nullptr, ub, a.K, a.vec);
    }
  }
}

}  // namespace qgemm::quant
