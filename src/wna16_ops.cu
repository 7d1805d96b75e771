// The extension's entry to the weight-only GEMM: integers and pointers in, Status out.
// Kernels are instantiated once, in wna16_gemm.cu.
#define QGEMM_WNA16_EXTERN_TEMPLATES
#include <string>

#include "ops.hpp"
#include "qgemm/gemm/wna16_launch.cuh"
#define QGEMM_K64_DECODE_EXTERN_TEMPLATES
#include "qgemm/gemm/k64_decode_launch.cuh"

namespace qgemm::ops {

size_t wna16_workspace_bytes(int M, int N, int K, int num_sms) {
  return qgemm::wna16_workspace_bytes(M, N, K, num_sms);
}

std::string wna16_plan_string(int M, int N, int K, int num_sms, int kind) {
  const Wna16Plan p = wna16_plan(M, N, K, num_sms, WeightKind(kind));
  return std::string(kWna16Configs[p.config].name) + " splits=" + std::to_string(p.splits) +
         " ctas=" + std::to_string(p.m_tiles * p.n_tiles * p.splits);
}

int wna16_gemm_cuda(int dtype, int kind, int tiling, const void* x, int64_t ldx, const void* w,
                    const void* scales, const void* zeros, const void* bias, void* out,
                    int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                    size_t workspace_bytes, int num_sms, int splits, uintptr_t stream) {
  if (tiling != int(WeightTiling::kFragment) && tiling != int(WeightTiling::kK64))
    return int(Status::kInvalidArgument);
  WnA16Params p = make_wna16_params(dtype, kind, x, ldx, w, scales, zeros, bias, out, ldo, M, N, K, group_size,
                                    workspace, workspace_bytes, num_sms);
  p.tiling = WeightTiling(tiling);
  p.splits = splits;
  return int(qgemm::wna16_gemm(p, reinterpret_cast<cudaStream_t>(stream)));
}

size_t wna16_decode_workspace_bytes(int M, int N, int K, int num_sms) {
  return qgemm::k64_decode_workspace_bytes(M, N, K, num_sms);
}

std::string wna16_decode_plan_string(int kind, int M, int N, int K, int num_sms, int forced_splits) {
  if (M <= 0 || M > kK64DecodeMaxM || N % 64 != 0 || K % 64 != 0 || num_sms <= 0) return "unsupported";
  const K64DecodePlan p = k64_decode_plan(WeightKind(kind), M, N, K, num_sms, forced_splits);
  return "k64 decode tok_blocks=" + std::to_string(p.tok_blocks) + " cols=" + std::to_string(p.cols) +
         " splits=" + std::to_string(p.splits) + " blocks_per_split=" + std::to_string(p.blocks_per_split) +
         " ctas=" + std::to_string(p.ctas) +
         (p.units_per_cta > 0 ? " stream_k units_per_cta=" + std::to_string(p.units_per_cta) : std::string());
}

int wna16_decode_gemm_cuda(int dtype, int kind, const void* x, int64_t ldx, const void* w, const void* scales,
                           const void* zeros, const void* bias, void* out, int64_t ldo, int M, int N, int K,
                           int group_size, void* workspace, size_t workspace_bytes, int num_sms, int splits,
                           uintptr_t stream) {
  WnA16Params p = make_wna16_params(dtype, kind, x, ldx, w, scales, zeros, bias, out, ldo, M, N, K, group_size,
                                    workspace, workspace_bytes, num_sms);
  p.tiling = WeightTiling::kK64;
  p.splits = splits;
  return int(qgemm::wna16_k64_decode_gemm(p, reinterpret_cast<cudaStream_t>(stream)));
}

#if !defined(QGEMM_WITH_SM90A)
// No 90a in this build: the sm90 W4A16 entry points exist and refuse.
size_t wna16_sm90_workspace_bytes(int, int, int, int, int, int, int, int) { return 0; }
std::string wna16_sm90_configs_string() { return std::string(); }
int wna16_sm90_schedule(int, int, int, int, int, int) { return -1; }
int wna16_sm90_reduction(int, int, int, int, int, int) { return -1; }
int wna16_sm90_gemm_cuda(int, int, const void*, int64_t, const void*, const void*, const void*, const void*,
                         void*, int64_t, int, int, int, int, void*, size_t, int, int, int, int, int, uintptr_t) {
  return int(Status::kUnsupported);
}
#endif

}  // namespace qgemm::ops
