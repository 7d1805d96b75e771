// Host-visible entry points of the activation-quantization kernels (include/qgemm/quant/):
// plain C++, no CUDA types, no torch, like ops.hpp. Pointers arrive as the integers
// torch's data_ptr() returns, the stream as the integer cuda_stream handle. Each returns
// a qgemm::Status as int.
//
// dtype: 0 float16, 1 bfloat16, 2 float32 (qgemm::DType). kind: 0 int8 symmetric,
// 1 int8 asymmetric, 2 fp8 e4m3 (qgemm::quant::QuantKind). scale_ub: device pointer to
// one float, or 0 to use scale_ub_value (+inf: no bound).
#pragma once

#include <cstdint>
#include <string>

namespace qgemm::ops {

int per_token_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* q, int64_t ldq, float* scale,
                         int32_t* zero_point, const float* scale_ub, float scale_ub_value, int64_t M, int K,
                         uintptr_t stream);

// kind 0 or 2; scale: device pointer to one float.
int per_tensor_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* q, int64_t ldq,
                          const float* scale, int64_t M, int K, uintptr_t stream);

// kind 0 or 2; weight_dtype: dtype or 2 (float32). residual is updated in place.
int fused_add_rmsnorm_quant_cuda(int kind, int dtype, const void* x, int64_t ldx, void* residual, int64_t ldr,
                                 const void* weight, int weight_dtype, void* q, int64_t ldq, float* scale,
                                 const float* scale_ub, float scale_ub_value, float eps, int64_t M, int K,
                                 uintptr_t stream);

// The launch shape for rows of length K (include/qgemm/quant/quant_dispatch.hpp), in words.
std::string quant_plan_string(int K);

}  // namespace qgemm::ops
