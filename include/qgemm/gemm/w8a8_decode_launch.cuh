// Launcher of the W8A8 decode GEMM (w8a8_decode_kernel.cuh): M <= 16 tokens, K % 64 == 0,
// int8 on sm_80+, fp8 e4m3 on sm_89+. A plain function on ScaledMmParams like the other
// W8A8 launchers: no allocation, no host sync; the caller owns the workspace
// (w8a8_decode_workspace_bytes with the same sizes).
//
// Status: kInvalidArgument for what breaks check_scaled_mm or a negative split count;
// kUnsupported for M > kW8A8DecodeMaxM or K % 64 != 0; kWorkspaceTooSmall.
// Included by the translation units that instantiate it (src/scaled_mm_decode_*.cu: one a
// operand type, since fp8 needs sm_89+).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/dynamic_smem.hpp"
#include "qgemm/gemm/w8a8_decode_kernel.cuh"

namespace qgemm {

inline constexpr int kW8A8DecodeMaxM = 16;

struct W8A8DecodePlan {
  int tok_blocks;        // n8 token blocks: 1 (M <= 8) or 2
  int row_ctas;          // grid.x: kRowsPerCta weight rows each
  int splits;            // grid.y
  int chunks_per_split;  // k64 chunks
};

// Split K into as many parts as the GPU's resident CTA slots hold in one wave (kCtasPerSm
// an SM, by shared memory on H100: the measured rule of the k64 decode kernel,
// k64_decode_launch.cuh), keeping at least two stages a split. forced_splits > 0 overrides
// (benchmarks, tests).
inline W8A8DecodePlan w8a8_decode_plan(int M, int N, int K, int num_sms, int forced_splits = 0) {
  W8A8DecodePlan p{};
  p.tok_blocks = M <= 8 ? 1 : 2;
  p.row_ctas = (N + w8a8decode::kRowsPerCta - 1) / w8a8decode::kRowsPerCta;
  const int chunks = K / 64 > 0 ? K / 64 : 1;
  int splits;
  if (forced_splits > 0) {
    splits = forced_splits < chunks ? forced_splits : chunks;
  } else {
    const int stages = chunks / w8a8decode::kStageChunks;
    const int max_splits = stages / 2 > 1 ? stages / 2 : 1;
    splits = num_sms * w8a8decode::kCtasPerSm / p.row_ctas;
    splits = splits < 1 ? 1 : splits > max_splits ? max_splits : splits;
  }
  p.chunks_per_split = (chunks + splits - 1) / splits;
  p.splits = (chunks + p.chunks_per_split - 1) / p.chunks_per_split;  // no empty split
  return p;
}

// Share of the GPU's CTA slots (kCtasPerSm an SM) the plan keeps busy over its waves:
// CTAs / (waves x slots), 1 for a plan that fills every wave.
inline double w8a8_decode_slot_fill(const W8A8DecodePlan& p, int num_sms) {
  const long slots = long(num_sms) * w8a8decode::kCtasPerSm;
  const long ctas = long(p.row_ctas) * p.splits;
  if (slots <= 0 || ctas <= 0) return 0.0;
  const long waves = (ctas + slots - 1) / slots;
  return double(ctas) / double(waves * slots);
}

// Partials [splits, M, N] of 4-byte accumulators when split; 0 otherwise. forced_splits as
// in the plan.
inline size_t w8a8_decode_workspace_bytes(int M, int N, int K, int num_sms, int forced_splits = 0) {
  if (M <= 0 || M > kW8A8DecodeMaxM || N <= 0 || K < 64 || num_sms <= 0) return 0;
  const W8A8DecodePlan p = w8a8_decode_plan(M, N, K, num_sms, forced_splits);
  return p.splits > 1 ? size_t(p.splits) * size_t(M) * size_t(N) * 4 : 0;
}

namespace detail {

template <Operand8 kOp, class T, int kTokBlocks>
Status w8a8_decode_run(const w8a8decode::Args& a, int row_ctas, int num_sms, cudaStream_t stream) {
  constexpr auto kernel = w8a8decode::w8a8_decode_kernel<kOp, T, kTokBlocks>;
  static std::atomic<uint64_t> smem_done{0};
  const Status st = wna16_set_smem_once(kernel, w8a8decode::kSmemBytes, smem_done);
  if (st != Status::kSuccess) return st;
  void* kargs[] = {const_cast<w8a8decode::Args*>(&a)};
  if (pdl::launch<kernel>(dim3(unsigned(row_ctas), unsigned(a.splits)), dim3(w8a8decode::kThreads), kargs,
                          size_t(w8a8decode::kSmemBytes), stream) != cudaSuccess)
    return Status::kCudaError;
  if (a.splits == 1) return Status::kSuccess;
  // The sum launches the ordinary way (as the weight-only split-K reduce: splitk_reduce.cuh
  // says why), at most 8 CTAs an SM, grid-stride.
  using Acc = typename Mma16x8x32<kOp>::Acc;
  const int quads = a.p.M * (a.p.N / 4);
  int blocks = (quads + 255) / 256;
  blocks = blocks < num_sms * 8 ? blocks : num_sms * 8;
  const Acc* partials = static_cast<const Acc*>(a.partials);
  int splits = a.splits;
  void* rargs[] = {const_cast<ScaledMmParams*>(&a.p), &partials, &splits};
  if (cudaLaunchKernel(w8a8decode::w8a8_decode_reduce_kernel<Acc, T>, dim3(unsigned(blocks)), dim3(256), rargs,
                       size_t(0), stream) != cudaSuccess)
    return Status::kCudaError;
  return Status::kSuccess;
}

}  // namespace detail

// p.config > 0 forces that many splits (benchmarks, tests); -1 or 0: the plan decides.
template <Operand8 kOp, class T>
Status w8a8_decode_gemm(const ScaledMmParams& p, cudaStream_t stream) {
  const Status shared = check_scaled_mm(p);
  if (shared != Status::kSuccess) return shared;
  if (p.operand != kOp || p.config < -1) return Status::kInvalidArgument;
  if (p.M == 0) return Status::kSuccess;
  if (p.M > kW8A8DecodeMaxM || p.K % 64 != 0) return Status::kUnsupported;
  const W8A8DecodePlan plan = w8a8_decode_plan(p.M, p.N, p.K, p.num_sms, p.config);
  w8a8decode::Args a{};
  a.p = p;
  a.chunks_per_split = plan.chunks_per_split;
  a.splits = plan.splits;
  if (plan.splits > 1) {
    const size_t need = size_t(plan.splits) * size_t(p.M) * size_t(p.N) * 4;
    if (!p.workspace || p.workspace_bytes < need) return Status::kWorkspaceTooSmall;
    if ((reinterpret_cast<uintptr_t>(p.workspace) & 15) != 0) return Status::kInvalidArgument;
    a.partials = p.workspace;
  }
  if (plan.tok_blocks == 1) return detail::w8a8_decode_run<kOp, T, 1>(a, plan.row_ctas, p.num_sms, stream);
  return detail::w8a8_decode_run<kOp, T, 2>(a, plan.row_ctas, p.num_sms, stream);
}

}  // namespace qgemm
