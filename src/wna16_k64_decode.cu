// The extension's entry to the k64 decode GEMM (M <= 16 on int4_k64 / int8_k64 weights,
// mma.sync: every architecture in the build).
#include "ops.hpp"
#include "qgemm/gemm/k64_decode_launch.cuh"

namespace qgemm::ops {

size_t wna16_k64_decode_workspace_bytes(int M, int N, int K, int num_sms) {
  return qgemm::k64_decode_workspace_bytes(M, N, K, num_sms);
}

int wna16_k64_decode_gemm_cuda(int dtype, int kind, const void* x, int64_t ldx, const void* w,
                               const void* scales, const void* zeros, const void* bias, void* out,
                               int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                               size_t workspace_bytes, int num_sms, uintptr_t stream) {
  const WnA16Params p = make_wna16_params(dtype, kind, x, ldx, w, scales, zeros, bias, out, ldo, M, N, K,
                                          group_size, workspace, workspace_bytes, num_sms);
  return int(qgemm::wna16_gemm_k64_decode(p, reinterpret_cast<cudaStream_t>(stream)));
}

}  // namespace qgemm::ops
