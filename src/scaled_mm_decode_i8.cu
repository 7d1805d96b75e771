// The W8A8 decode kernels for int8 operands (sm_80+), both output types.
#include "qgemm/gemm/w8a8_decode_launch.cuh"
#include "scaled_mm_entries.hpp"

namespace qgemm::ops {

Status scaled_mm_decode_i8(const ScaledMmParams& p, cudaStream_t stream) {
  if (p.out_dtype == DType::kBFloat16) return w8a8_decode_gemm<Operand8::kInt8, __nv_bfloat16>(p, stream);
  return w8a8_decode_gemm<Operand8::kInt8, __half>(p, stream);
}

}  // namespace qgemm::ops
