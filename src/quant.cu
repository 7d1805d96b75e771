// The extension's entry to the activation-quantization kernels: integers and pointers
// in, Status as int out. The kernels are instantiated here, once per element type.
#include <string>

#include "qgemm/quant/quant_launch.cuh"
#include "quant_ops.hpp"

namespace qgemm {
#define QGEMM_QUANT_INSTANTIATE(T)                                                                         \
  template Status detail::per_token_quant_t<T>(const quant::PerTokenArgs&, QuantKind, cudaStream_t);     \
  template Status detail::per_tensor_quant_t<T>(const quant::PerTensorArgs&, QuantKind, cudaStream_t);   \
  template Status detail::fused_add_rmsnorm_quant_t<T>(const quant::FusedAddRmsNormQuantArgs&, QuantKind, \
                                                       cudaStream_t);
QGEMM_QUANT_FOR_EACH_TYPE(QGEMM_QUANT_INSTANTIATE)
#undef QGEMM_QUANT_INSTANTIATE
}  // namespace qgemm

namespace qgemm::ops {

namespace {
cudaStream_t as_stream(uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }
}  // namespace

// The argument structs are aggregates, filled in declaration order; the launchers set `vec`.
int per_token_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* q, int64_t ldq, float* scale,
                         int32_t* zero_point, const float* scale_ub, float scale_ub_value, int64_t M, int K,
                         uintptr_t stream) {
  const quant::PerTokenArgs a{x, ldx, static_cast<uint8_t*>(q), ldq, scale, zero_point,
                              scale_ub, scale_ub_value, M, K, false};
  return int(qgemm::per_token_quant(a, DType(dtype), QuantKind(kind), as_stream(stream)));
}

int per_tensor_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* q, int64_t ldq,
                          const float* scale, int64_t M, int K, uintptr_t stream) {
  const quant::PerTensorArgs a{x, ldx, static_cast<uint8_t*>(q), ldq, scale, M, K, false};
  return int(qgemm::per_tensor_quant(a, DType(dtype), QuantKind(kind), as_stream(stream)));
}

int fused_add_rmsnorm_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* residual, int64_t ldr,
                                 const void* weight, int weight_dtype, void* q, int64_t ldq, float* scale,
                                 const float* scale_ub, float scale_ub_value, float eps, int64_t M, int K,
                                 uintptr_t stream) {
  if (weight_dtype != dtype && DType(weight_dtype) != DType::kFloat32) return int(Status::kInvalidArgument);
  const bool weight_f32 = DType(weight_dtype) == DType::kFloat32;
  const quant::FusedAddRmsNormQuantArgs a{x, ldx, residual, ldr, weight, weight_f32,
                                          static_cast<uint8_t*>(q), ldq, scale, scale_ub, scale_ub_value,
                                          eps, M, K, false};
  return int(qgemm::fused_add_rmsnorm_quant(a, DType(dtype), QuantKind(kind), as_stream(stream)));
}

std::string quant_plan_string(int K) { return qgemm::quant_plan_string(K); }

}  // namespace qgemm::ops
