// Parameters of the weight-only GEMM launchers (sm80 wna16_launch.cuh, sm90a
// sm90_wna16_launch.cuh): plain pointers, sizes and strides.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/status.hpp"

namespace qgemm {

struct WnA16Params {
  const void* x;        // [M, K] fp16/bf16, row stride ldx elements, 16-byte aligned rows
  int64_t ldx;
  const void* w;        // kernel-format weights (include/qgemm/layout/)
  const void* scales;   // [K/G, N] activation dtype, contiguous
  const void* zeros;    // [K/G, N] activation dtype (uint4 only), else ignored; nullable
  const void* bias;     // [N] activation dtype; nullable
  void* out;            // [M, N] activation dtype, row stride ldo elements
  int64_t ldo;
  int M, N, K, group_size;
  DType dtype;
  WeightKind kind;
  void* workspace;      // fp32 partials for split-K; nullable if wna16_workspace_bytes() == 0
  size_t workspace_bytes;
  int num_sms;
  WeightTiling tiling = WeightTiling::kFragment;  // sm80 launcher: fragment or k64 formats (sm90a: k64 only)
  int splits = 0;  // sm80 launcher: split-K factor to force (benchmarks; capped at the k-iterations), 0: the table's
};

// The extension's flat arguments -> WnA16Params (both launchers' entry points).
inline WnA16Params make_wna16_params(int dtype, int kind, const void* x, int64_t ldx, const void* w,
                                     const void* scales, const void* zeros, const void* bias, void* out,
                                     int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                                     size_t workspace_bytes, int num_sms) {
  return WnA16Params{x, ldx, w, scales, zeros, bias, out, ldo, M, N, K, group_size, DType(dtype), WeightKind(kind),
                     workspace, workspace_bytes, num_sms};
}

namespace detail {
inline bool aligned(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) % a) == 0; }

// The rules every weight-only launcher shares (kInvalidArgument when broken): sizes, group
// size, dtype, weight kind, SM count and, for M > 0, the pointers, x's stride and the
// 16-byte alignment of x, w, scales and zeros, ldo >= N. kSuccess: the launcher goes on
// with its own rules (M = 0 is then a no-op).
inline Status wna16_check_shared(const WnA16Params& p) {
  // ---- sizes (the Python layer enforces the same rules and names the argument) ----
  if (p.M < 0 || p.N <= 0 || p.K <= 0 || p.N % 64 != 0 || p.K % 128 != 0) return Status::kInvalidArgument;
  const int G = p.group_size;
  if (!(G == 32 || G == 64 || G == 128 || G == p.K)) return Status::kInvalidArgument;
  if (p.dtype != DType::kFloat16 && p.dtype != DType::kBFloat16) return Status::kInvalidArgument;
  if (p.kind != WeightKind::kInt4 && p.kind != WeightKind::kUint4 && p.kind != WeightKind::kInt8)
    return Status::kInvalidArgument;
  if (p.num_sms <= 0) return Status::kInvalidArgument;
  if (p.M == 0) return Status::kSuccess;
  // ---- pointers, strides, alignment ----
  if (!p.x || !p.w || !p.scales || !p.out) return Status::kInvalidArgument;
  if (p.kind == WeightKind::kUint4 && !p.zeros) return Status::kInvalidArgument;
  if (p.ldx < p.K || p.ldx % 8 != 0 || !aligned(p.x, 16)) return Status::kInvalidArgument;
  if (!aligned(p.w, 16) || !aligned(p.scales, 16)) return Status::kInvalidArgument;
  if (p.kind == WeightKind::kUint4 && !aligned(p.zeros, 16)) return Status::kInvalidArgument;
  if (p.ldo < p.N) return Status::kInvalidArgument;
  return Status::kSuccess;
}
}  // namespace detail

}  // namespace qgemm
