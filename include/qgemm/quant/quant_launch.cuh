// Launchers of the activation-quantization kernels:
//   per_token_quant          dynamic int8 symmetric / asymmetric, fp8 e4m3 (optional bound)
//   per_tensor_quant         static int8 symmetric / fp8 e4m3, scale read on the device
//   fused_add_rmsnorm_quant  residual += x; RMSNorm; per-token int8 symmetric / fp8
// Plain functions on pointers: no torch, no exceptions, no allocation, no host sync.
// Arguments are the kernels' own argument structs (per_token_quant.cuh, ...) plus the
// element type and the quantizer; the launcher checks them, sets `vec` itself, and
// returns kInvalidArgument for a size, stride, pointer or value that breaks a rule.
//
// Rules: M >= 0 (M == 0 launches nothing), any K >= 1, row strides >= K (elements for
// inputs, bytes for outputs), pointers aligned to their element. Rows that are 16-byte
// aligned with K % 8 == 0 take 16-byte loads; others go element by element. x may be
// float16, bfloat16 or float32; the fused kernel's weight is x's type or float32.
// Per-row outputs (scale, zero point) are contiguous [M]. A device scale_ub is read by
// the kernel (graph-safe); with none, scale_ub_value applies (+inf: no bound).
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/quant/fused_add_rmsnorm_quant.cuh"
#include "qgemm/quant/per_tensor_quant.cuh"
#include "qgemm/quant/per_token_quant.cuh"
#include "qgemm/quant/quant_dispatch.hpp"
#include "qgemm/status.hpp"

namespace qgemm {

using quant::QuantKind;

namespace detail {

inline bool quant_aligned(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) % a) == 0; }

inline size_t dtype_bytes(DType t) { return t == DType::kFloat32 ? 4 : 2; }

inline bool valid_dtype(DType t) {
  return t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat32;
}

// x [M, K] of `dtype`, row stride ldx; q [M, K] bytes, row stride ldq.
inline bool quant_rows_ok(const void* x, int64_t ldx, DType dtype, const void* q, int64_t ldq, int K) {
  return x && q && ldx >= K && ldq >= K && quant_aligned(x, dtype_bytes(dtype));
}

inline bool quant_rows_vec(const void* x, int64_t ldx, const void* q, int64_t ldq, int K) {
  return K % 8 == 0 && ldx % 8 == 0 && ldq % 8 == 0 && quant_aligned(x, 16) && quant_aligned(q, 8);
}

// Through pdl::launch (programmatic dependent launch where the device and the kernel's binary
// have it; the kernels wait for the kernel before them first) so the status is this
// launch's own (see wna16_launch.cuh).
template <auto Kernel, class Args>
inline Status quant_launch(const QuantPlan& p, int64_t M, Args args, cudaStream_t stream) {
  const dim3 grid(unsigned(quant_grid(p, M))), block(unsigned(p.threads_per_row), unsigned(p.rows_per_cta));
  void* kargs[] = {&args};
  return pdl::launch<Kernel>(grid, block, kargs, size_t(0), stream) == cudaSuccess ? Status::kSuccess
                                                                                    : Status::kCudaError;
}

// Launches the kernel instance for a plan's chunks per thread (1, 2, 4, or 0: streamed).
#define QGEMM_QUANT_LAUNCH_BY_VPT(KERNEL, T, KIND, P, A, STREAM)                     \
  ((P).vpt == 1   ? quant_launch<KERNEL<T, KIND, 1>>(P, (A).M, A, STREAM)           \
   : (P).vpt == 2 ? quant_launch<KERNEL<T, KIND, 2>>(P, (A).M, A, STREAM)           \
   : (P).vpt == 4 ? quant_launch<KERNEL<T, KIND, 4>>(P, (A).M, A, STREAM)           \
                  : quant_launch<KERNEL<T, KIND, 0>>(P, (A).M, A, STREAM))

template <class T>
Status per_token_quant_t(const quant::PerTokenArgs& a, QuantKind kind, cudaStream_t stream) {
  const QuantPlan p = quant_plan(a.K);
  switch (kind) {
    case QuantKind::kInt8Symmetric:
      return QGEMM_QUANT_LAUNCH_BY_VPT(quant::per_token_quant_kernel, T, QuantKind::kInt8Symmetric, p, a, stream);
    case QuantKind::kInt8Asymmetric:
      return QGEMM_QUANT_LAUNCH_BY_VPT(quant::per_token_quant_kernel, T, QuantKind::kInt8Asymmetric, p, a, stream);
    case QuantKind::kFp8E4m3:
      return QGEMM_QUANT_LAUNCH_BY_VPT(quant::per_token_quant_kernel, T, QuantKind::kFp8E4m3, p, a, stream);
  }
  return Status::kInvalidArgument;
}

template <class T>
Status per_tensor_quant_t(const quant::PerTensorArgs& a, QuantKind kind, cudaStream_t stream) {
  const QuantPlan p = quant_plan(a.K);
  return kind == QuantKind::kFp8E4m3
             ? quant_launch<quant::per_tensor_quant_kernel<T, QuantKind::kFp8E4m3>>(p, a.M, a, stream)
             : quant_launch<quant::per_tensor_quant_kernel<T, QuantKind::kInt8Symmetric>>(p, a.M, a, stream);
}

template <class T>
Status fused_add_rmsnorm_quant_t(const quant::FusedAddRmsNormQuantArgs& a, QuantKind kind, cudaStream_t stream) {
  const QuantPlan p = quant_plan(a.K, /*fused=*/true);
  return kind == QuantKind::kFp8E4m3
             ? QGEMM_QUANT_LAUNCH_BY_VPT(quant::fused_add_rmsnorm_quant_kernel, T, QuantKind::kFp8E4m3, p, a, stream)
             : QGEMM_QUANT_LAUNCH_BY_VPT(quant::fused_add_rmsnorm_quant_kernel, T, QuantKind::kInt8Symmetric, p, a,
                                         stream);
}

#undef QGEMM_QUANT_LAUNCH_BY_VPT

// fp8 bound: a device pointer, or a value that is positive (+inf: none); NaN refused.
inline bool scale_ub_ok(const float* ptr, float value) { return ptr || value > 0.0f; }

}  // namespace detail

// a.scale [M] and, for kInt8Asymmetric, a.zero_point [M]; a.scale_ub / a.scale_ub_value
// are read for kFp8E4m3 only.
inline Status per_token_quant(quant::PerTokenArgs a, DType dtype, QuantKind kind, cudaStream_t stream) {
  if (a.M < 0 || a.K < 1 || !detail::valid_dtype(dtype)) return Status::kInvalidArgument;
  if (kind != QuantKind::kInt8Symmetric && kind != QuantKind::kInt8Asymmetric && kind != QuantKind::kFp8E4m3)
    return Status::kInvalidArgument;
  if (a.M == 0) return Status::kSuccess;
  if (!detail::quant_rows_ok(a.x, a.ldx, dtype, a.q, a.ldq, a.K) || !a.scale) return Status::kInvalidArgument;
  if (kind == QuantKind::kInt8Asymmetric && !a.zero_point) return Status::kInvalidArgument;
  if (kind == QuantKind::kFp8E4m3 && !detail::scale_ub_ok(a.scale_ub, a.scale_ub_value))
    return Status::kInvalidArgument;
  a.vec = detail::quant_rows_vec(a.x, a.ldx, a.q, a.ldq, a.K);
  switch (dtype) {
    case DType::kFloat16: return detail::per_token_quant_t<__half>(a, kind, stream);
    case DType::kBFloat16: return detail::per_token_quant_t<__nv_bfloat16>(a, kind, stream);
    case DType::kFloat32: return detail::per_token_quant_t<float>(a, kind, stream);
  }
  return Status::kInvalidArgument;
}

// kind: kInt8Symmetric or kFp8E4m3; a.scale points to one positive float on the device.
inline Status per_tensor_quant(quant::PerTensorArgs a, DType dtype, QuantKind kind, cudaStream_t stream) {
  if (a.M < 0 || a.K < 1 || !detail::valid_dtype(dtype)) return Status::kInvalidArgument;
  if (kind != QuantKind::kInt8Symmetric && kind != QuantKind::kFp8E4m3) return Status::kInvalidArgument;
  if (a.M == 0) return Status::kSuccess;
  if (!detail::quant_rows_ok(a.x, a.ldx, dtype, a.q, a.ldq, a.K) || !a.scale) return Status::kInvalidArgument;
  a.vec = detail::quant_rows_vec(a.x, a.ldx, a.q, a.ldq, a.K);
  switch (dtype) {
    case DType::kFloat16: return detail::per_tensor_quant_t<__half>(a, kind, stream);
    case DType::kBFloat16: return detail::per_tensor_quant_t<__nv_bfloat16>(a, kind, stream);
    case DType::kFloat32: return detail::per_tensor_quant_t<float>(a, kind, stream);
  }
  return Status::kInvalidArgument;
}

// kind: kInt8Symmetric or kFp8E4m3; eps finite and >= FLT_MIN; a.scale [M]; weight [K] of
// `dtype` or float32 (a.weight_f32); residual may not overlap q, scale or weight.
inline Status fused_add_rmsnorm_quant(quant::FusedAddRmsNormQuantArgs a, DType dtype, QuantKind kind,
                                      cudaStream_t stream) {
  if (a.M < 0 || a.K < 1 || !detail::valid_dtype(dtype)) return Status::kInvalidArgument;
  if (kind != QuantKind::kInt8Symmetric && kind != QuantKind::kFp8E4m3) return Status::kInvalidArgument;
  if (!(a.eps >= FLT_MIN) || std::isinf(a.eps)) return Status::kInvalidArgument;
  if (a.M == 0) return Status::kSuccess;
  const size_t wbytes = a.weight_f32 ? 4 : detail::dtype_bytes(dtype);
  if (!detail::quant_rows_ok(a.x, a.ldx, dtype, a.q, a.ldq, a.K) || !a.scale) return Status::kInvalidArgument;
  if (!a.residual || a.ldr < a.K || !detail::quant_aligned(a.residual, detail::dtype_bytes(dtype)))
    return Status::kInvalidArgument;
  if (!a.weight || !detail::quant_aligned(a.weight, wbytes)) return Status::kInvalidArgument;
  if (kind == QuantKind::kFp8E4m3 && !detail::scale_ub_ok(a.scale_ub, a.scale_ub_value))
    return Status::kInvalidArgument;
  a.vec = detail::quant_rows_vec(a.x, a.ldx, a.q, a.ldq, a.K) && a.ldr % 8 == 0 &&
          detail::quant_aligned(a.residual, 16) && detail::quant_aligned(a.weight, 16);
  switch (dtype) {
    case DType::kFloat16: return detail::fused_add_rmsnorm_quant_t<__half>(a, kind, stream);
    case DType::kBFloat16: return detail::fused_add_rmsnorm_quant_t<__nv_bfloat16>(a, kind, stream);
    case DType::kFloat32: return detail::fused_add_rmsnorm_quant_t<float>(a, kind, stream);
  }
  return Status::kInvalidArgument;
}

// ---- explicit instantiation list (src/quant.cu) ----------------------------------------
#define QGEMM_QUANT_FOR_EACH_TYPE(X) X(__half) X(__nv_bfloat16) X(float)

#if defined(QGEMM_QUANT_EXTERN_TEMPLATES)
#define QGEMM_QUANT_EXTERN(T)                                                                             \
  extern template Status detail::per_token_quant_t<T>(const quant::PerTokenArgs&, QuantKind, cudaStream_t); \
  extern template Status detail::per_tensor_quant_t<T>(const quant::PerTensorArgs&, QuantKind, cudaStream_t); \
  extern template Status detail::fused_add_rmsnorm_quant_t<T>(const quant::FusedAddRmsNormQuantArgs&, QuantKind, \
                                                              cudaStream_t);
QGEMM_QUANT_FOR_EACH_TYPE(QGEMM_QUANT_EXTERN)
#undef QGEMM_QUANT_EXTERN
#endif

}  // namespace qgemm
