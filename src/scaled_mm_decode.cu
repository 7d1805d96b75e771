// The W8A8 decode family's entry (w8a8_decode_launch.cuh: M <= 16, K % 64 == 0): which
// operand's kernels exist in this build, the workspace, the plan's description. Routed by
// src/scaled_mm_ops.cu; the kernels are in scaled_mm_decode_i8.cu / _e4m3.cu.
#include <string>

#include "qgemm/gemm/scaled_mm_dispatch.hpp"
#include "qgemm/gemm/w8a8_decode_launch.cuh"
#include "scaled_mm_entries.hpp"

#ifndef QGEMM_WITH_SM89_FP8
#define QGEMM_WITH_SM89_FP8 0
#endif

namespace qgemm::ops {

bool scaled_mm_decode_built(Operand8 op) { return op == Operand8::kInt8 || QGEMM_WITH_SM89_FP8; }

bool scaled_mm_decode_serves(const ScaledMmParams& p) {
  return scaled_mm_decode_built(p.operand) && p.M <= kW8A8DecodeMaxM && p.K % 64 == 0;
}

bool scaled_mm_decode_fills_gpu(const ScaledMmParams& p) {
  if (!scaled_mm_decode_serves(p)) return false;
  const W8A8DecodePlan plan = w8a8_decode_plan(p.M, p.N, p.K, p.num_sms);
  return w8a8_decode_slot_fill(plan, p.num_sms) >= kScaledMmDecodeFullFill;
}

Status scaled_mm_decode_entry(const ScaledMmParams& p, cudaStream_t stream) {
  if (p.operand == Operand8::kInt8) return scaled_mm_decode_i8(p, stream);
#if QGEMM_WITH_SM89_FP8
  return scaled_mm_decode_e4m3(p, stream);
#else
  return Status::kUnsupported;
#endif
}

size_t scaled_mm_decode_workspace_bytes(const ScaledMmParams& p) {
  return w8a8_decode_workspace_bytes(p.M, p.N, p.K, p.num_sms, p.config);
}

std::string scaled_mm_decode_plan(const ScaledMmParams& p) {
  if (!scaled_mm_decode_built(p.operand)) return "no fp8 kernels (no sm_89+ architecture built)";
  if (!scaled_mm_decode_serves(p)) return "unsupported (M > 16 or K % 64 != 0)";
  const W8A8DecodePlan plan = w8a8_decode_plan(p.M, p.N, p.K, p.num_sms, p.config);
  return "tok_blocks=" + std::to_string(plan.tok_blocks) + " ctas=" + std::to_string(plan.row_ctas) + "x" +
         std::to_string(plan.splits) + " chunks/split=" + std::to_string(plan.chunks_per_split);
}

}  // namespace qgemm::ops
