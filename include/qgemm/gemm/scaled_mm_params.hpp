// The W8A8 GEMM's arguments, shared by every architecture's launcher:
//
//   acc[m, n] = sum_k a[m, k] * b[n, k]                int32 (int8) or float32 (fp8)
//   acc      -= azp[m] * b_colsum[n]                   int8 with an activation zero point
//   out[m, n] = a_scale[m] * (b_scale[n] * float(acc)) + bias[n]
//
// (python/qgemm/reference/scaled_mm.py is the reference.) B is [N, K] like
// nn.Linear.weight. a_scale / azp are per token ([M]) or per tensor ([1]); b_scale per
// channel ([N]) or per tensor ([1]); the *_per_* flags say which, at run time.
//
// Launchers (gemm/sm80_scaled_mm_launch.cuh, gemm/sm90_scaled_mm_launch.cuh) take this
// struct and a cudaStream_t and return a Status: they never throw, allocate or sync.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qgemm/status.hpp"

namespace qgemm {

// Element type of both 8-bit operands.
enum class Operand8 : int { kInt8 = 0, kFp8E4M3 = 1 };

struct ScaledMmParams {
  const void* a;            // [M, K] codes, row stride lda elements; 16-byte aligned rows
  int64_t lda;
  const void* b;            // [N, K] codes, row stride ldb elements; 16-byte aligned rows
  int64_t ldb;
  const float* a_scale;     // [M] if a_per_token, else [1]
  const float* b_scale;     // [N] if b_per_channel, else [1]
  bool a_per_token;
  bool b_per_channel;
  const void* bias;         // [N] in out_dtype; nullable
  const int32_t* azp;       // [M] if azp_per_token, else [1]; nullable (int8 only)
  bool azp_per_token;
  const int32_t* b_colsum;  // [N] = sum_k b[n, k]; required with azp
  void* out;                // [M, N] out_dtype, row stride ldo elements; 16-byte aligned rows
  int64_t ldo;
  int M, N, K;
  Operand8 operand;
  DType out_dtype;
  void* workspace;          // scaled_mm_*_workspace_bytes() of the same launcher; nullable if 0
  size_t workspace_bytes;
  int num_sms;              // cudaDevAttrMultiProcessorCount, queried once by the caller
  int config = -1;          // -1: the family's dispatch table decides; else its config index
};

// Shape and pointer rules every launcher shares: K % 16 (16-byte rows of 8-bit codes),
// N % 8 (16-byte rows of 16-bit outputs), 16-byte aligned matrices, the scales given,
// azp only with int8 and then with b_colsum. M may be 0 (nothing is launched).
inline Status check_scaled_mm(const ScaledMmParams& p) {
  auto aligned16 = [](const void* q) { return (reinterpret_cast<uintptr_t>(q) & 15) == 0; };
  if (p.M < 0 || p.N <= 0 || p.K <= 0 || p.K % 16 != 0 || p.N % 8 != 0)
    return Status::kInvalidArgument;
  if (p.lda < p.K || p.ldb < p.K || p.ldo < p.N || p.lda % 16 || p.ldb % 16 || p.ldo % 8)
    return Status::kInvalidArgument;
  if (!p.a || !p.b || !p.out || !p.a_scale || !p.b_scale) return Status::kInvalidArgument;
  if (!aligned16(p.a) || !aligned16(p.b) || !aligned16(p.out)) return Status::kInvalidArgument;
  if (p.azp && (p.operand != Operand8::kInt8 || !p.b_colsum)) return Status::kInvalidArgument;
  if (p.out_dtype != DType::kFloat16 && p.out_dtype != DType::kBFloat16)
    return Status::kInvalidArgument;
  return Status::kSuccess;
}

}  // namespace qgemm
