// Launcher of the k64 decode GEMM (k64_decode_kernel.cuh): M <= 16 tokens on int4_k64 /
// int8_k64 weights, any GPU from sm_80 on. Plain function on pointers, like the other
// weight-only launchers: no allocation, no host sync; the caller owns the workspace
// (k64_decode_workspace_bytes with the same sizes).
//
// Status: kInvalidArgument for what breaks the shared rules (wna16_params.hpp);
// kUnsupported for M > kK64DecodeMaxM or a group size that splits a k64 tile (g = 32);
// kWorkspaceTooSmall.
#pragma once

#include <cstddef>
#include <cuda_runtime.h>

#include "qgemm/gemm/k64_decode_kernel.cuh"
#include "qgemm/gemm/splitk_reduce.cuh"
#include "qgemm/gemm/wna16_params.hpp"

namespace qgemm {

inline constexpr int kK64DecodeMaxM = 16;

struct K64DecodePlan {
  int splits, tiles_per_split;
};

// Split K until about kCtasPerSm CTAs per SM are in flight (each keeps 8 KiB of weight
// loads outstanding: 4 warps x 32 lanes x 64 B), with at least 4 k64 tiles per split.
inline K64DecodePlan k64_decode_plan(int N, int K, int num_sms) {
  constexpr int kCtasPerSm = 8;
  const int nb = N / 64, kt = K / 64;
  const int max_splits = kt / 4 > 1 ? kt / 4 : 1;
  int splits = (num_sms * kCtasPerSm + nb - 1) / nb;
  splits = splits < 1 ? 1 : splits > max_splits ? max_splits : splits;
  const int tps = (kt + splits - 1) / splits;
  return K64DecodePlan{(kt + tps - 1) / tps, tps};
}

inline size_t k64_decode_workspace_bytes(int M, int N, int K, int num_sms) {
  if (M <= 0 || M > kK64DecodeMaxM || N <= 0 || K < 64 || num_sms <= 0) return 0;
  const K64DecodePlan plan = k64_decode_plan(N, K, num_sms);
  return plan.splits > 1 ? size_t(plan.splits) * size_t(M) * size_t(N) * sizeof(float) : 0;
}

namespace k64 {
template <class T, WeightKind kKind>
Status decode_run(const DecodeArgs& a, int num_sms, cudaStream_t stream) {
  auto kernel = a.M <= 8 ? k64_decode_kernel<T, kKind, 1> : k64_decode_kernel<T, kKind, 2>;
  const dim3 grid(unsigned(a.N / 64), unsigned(a.splits));
  void* kargs[] = {const_cast<DecodeArgs*>(&a)};
  if (cudaLaunchKernel(kernel, grid, dim3(128), kargs, size_t(0), stream) != cudaSuccess) return Status::kCudaError;
  if (a.splits > 1)
    return launch_splitk_reduce<T>(a.partials, static_cast<const T*>(a.bias), static_cast<T*>(a.out), a.ldo, a.M, a.N,
                                   a.splits, num_sms, stream);
  return Status::kSuccess;
}
}  // namespace k64

inline Status wna16_gemm_k64_decode(const WnA16Params& p, cudaStream_t stream) {
  const Status shared = detail::wna16_check_shared(p);
  if (shared != Status::kSuccess) return shared;
  if (p.group_size % 64 != 0) return Status::kUnsupported;  // g = 32 splits a k64 tile
  if (p.M == 0) return Status::kSuccess;
  if (p.M > kK64DecodeMaxM) return Status::kUnsupported;
  const K64DecodePlan plan = k64_decode_plan(p.N, p.K, p.num_sms);
  const size_t need = k64_decode_workspace_bytes(p.M, p.N, p.K, p.num_sms);
  if (need && (!p.workspace || p.workspace_bytes < need)) return Status::kWorkspaceTooSmall;
  if (need && !detail::aligned(p.workspace, 16)) return Status::kInvalidArgument;
  const k64::DecodeArgs a{p.x, p.ldx, static_cast<const uint8_t*>(p.w), p.scales, p.zeros, p.bias, p.out, p.ldo,
                          static_cast<float*>(p.workspace), p.M, p.N, p.K, p.group_size, plan.tiles_per_split,
                          plan.splits};
  auto run = [&](auto dtype) {
    using T = decltype(dtype);
    switch (p.kind) {
      case WeightKind::kInt4: return k64::decode_run<T, WeightKind::kInt4>(a, p.num_sms, stream);
      case WeightKind::kUint4: return k64::decode_run<T, WeightKind::kUint4>(a, p.num_sms, stream);
      case WeightKind::kInt8: return k64::decode_run<T, WeightKind::kInt8>(a, p.num_sms, stream);
    }
    return Status::kUnsupported;
  };
  return p.dtype == DType::kFloat16 ? run(__half{}) : run(__nv_bfloat16{});
}

}  // namespace qgemm
