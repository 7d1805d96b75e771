// The W8A8 decode kernels for fp8 e4m3 operands (sm_89+: compiled only for those
// architectures, src/CMakeLists.txt), both output types.
#include "qgemm/gemm/w8a8_decode_launch.cuh"
#include "scaled_mm_entries.hpp"

namespace qgemm::ops {

Status scaled_mm_decode_e4m3(const ScaledMmParams& p, cudaStream_t stream) {
  if (p.out_dtype == DType::kBFloat16) return w8a8_decode_gemm<Operand8::kFp8E4M3, __nv_bfloat16>(p, stream);
  return w8a8_decode_gemm<Operand8::kFp8E4M3, __half>(p, stream);
}

}  // namespace qgemm::ops
