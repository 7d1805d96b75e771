// Launch shape of the activation-quantization kernels for a row length K: the one place
// that decides it (host code, no CUDA). quant_plan_string() prints it for benchmarks.
//
//   K <= 1024        a warp per row, 8 rows per CTA, 1, 2 or 4 chunks of 8 per lane
//   K <= 32768       a CTA per row, the row in registers: the fewest chunks per thread
//                    (1, 2, 4) within the kernel's thread bound (quant_max_threads; 8
//                    chunks spill). Per-token: up to 1024 threads x 4 chunks, so
//                    Llama-3-70B's K = 28672 is read once (896 threads x 4); the fused
//                    kernel: up to 512 x 4 (K <= 16384).
//   longer           a CTA of 1024 threads per row, the row re-read from L2 (vpt = 0):
//                    per-token kernels read x twice, the fused kernel x and residual
//                    once and its new residual twice more (the fused kernel from
//                    K = 16385 on, e.g. K = 28672)
//
// Grids hold at most kQuantMaxCtas CTAs; row groups loop over the rest (any M).
#pragma once

#include <cstdint>
#include <string>

namespace qgemm {

struct QuantPlan {
  int threads_per_row;  // blockDim.x: 32 (warp per row) or a multiple of 32 (CTA per row)
  int rows_per_cta;     // blockDim.y: > 1 only with a warp per row
  int vpt;              // chunks of 8 per thread held in registers; 0: streamed
};

constexpr int kQuantChunk = 8;

// Most threads a CTA is compiled for (__launch_bounds__) with vpt chunks per thread in
// registers: 1 and 2 chunks 512 (up to 128 registers); 4 chunks 1024 for the per-token
// kernels (64 registers hold them, ptxas: no spill) but 512 for the fused kernel (which
// spills at 64); streamed rows (vpt 0) 1024.
constexpr int quant_max_threads(int vpt, bool fused = false) {
  return vpt == 0 || (vpt == 4 && !fused) ? 1024 : 512;
}
constexpr int64_t kQuantMaxCtas = int64_t(1) << 20;

// fused: the plan of fused_add_rmsnorm_quant (its own thread bound for 4 chunks).
inline QuantPlan quant_plan(int K, bool fused = false) {
  const int nchunks = (K + kQuantChunk - 1) / kQuantChunk;
  const auto ceil_div = [](int a, int b) { return (a + b - 1) / b; };
  const auto round32 = [&](int t) { return ceil_div(t, 32) * 32; };
  if (nchunks <= 128) return QuantPlan{32, 8, nchunks <= 32 ? 1 : nchunks <= 64 ? 2 : 4};
  for (int vpt : {1, 2, 4}) {
    const int threads = ceil_div(nchunks, vpt);
    if (threads <= quant_max_threads(vpt, fused)) return QuantPlan{round32(threads), 1, vpt};
  }
  return QuantPlan{1024, 1, 0};
}

inline int64_t quant_grid(const QuantPlan& p, int64_t M) {
  const int64_t ctas = (M + p.rows_per_cta - 1) / p.rows_per_cta;
  return ctas < kQuantMaxCtas ? ctas : kQuantMaxCtas;
}

inline std::string quant_plan_describe(const QuantPlan& p) {
  std::string s = p.threads_per_row == 32 ? "warp per row, " + std::to_string(p.rows_per_cta) + " rows per CTA"
                                          : "CTA of " + std::to_string(p.threads_per_row) + " threads per row";
  return s + (p.vpt ? ", " + std::to_string(p.vpt) + " chunks of 8 per thread in registers"
                    : ", row re-read from L2");
}

// The per-token kernels' plan, and the fused kernel's where it differs.
inline std::string quant_plan_string(int K) {
  const QuantPlan p = quant_plan(K), f = quant_plan(K, /*fused=*/true);
  const bool same = p.threads_per_row == f.threads_per_row && p.rows_per_cta == f.rows_per_cta && p.vpt == f.vpt;
  return quant_plan_describe(p) + (same ? "" : "; fused: " + quant_plan_describe(f));
}

}  // namespace qgemm
