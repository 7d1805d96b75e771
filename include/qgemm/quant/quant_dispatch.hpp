// Launch shape of the activation-quantization kernels for a row length K: the one place
// that decides it (host code, no CUDA). quant_plan_string() prints it for benchmarks.
//
//   K <= 1024        a warp per row, 8 rows per CTA, 1, 2 or 4 chunks of 8 per lane
//   K <= 16384       a CTA per row, the row in registers: the fewest chunks per thread
//                    (1, 2, 4) that keep the CTA at <= 512 threads (register-cached
//                    kernels are compiled for 512 threads, so up to 128 registers each;
//                    8 chunks spill)
//   longer           a CTA of 1024 threads per row, the row re-read from L2 (vpt = 0):
//                    per-token kernels read x twice, the fused kernel x and residual
//                    once and its new residual twice more (Llama-3-70B's K = 28672)
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
constexpr int64_t kQuantMaxCtas = int64_t(1) << 20;

inline QuantPlan quant_plan(int K) {
  const int nchunks = (K + kQuantChunk - 1) / kQuantChunk;
  const auto ceil_div = [](int a, int b) { return (a + b - 1) / b; };
  const auto round32 = [&](int t) { return ceil_div(t, 32) * 32; };
  if (nchunks <= 128) return QuantPlan{32, 8, nchunks <= 32 ? 1 : nchunks <= 64 ? 2 : 4};
  for (int vpt : {1, 2, 4})
    if (ceil_div(nchunks, vpt) <= 512) return QuantPlan{round32(ceil_div(nchunks, vpt)), 1, vpt};
  return QuantPlan{1024, 1, 0};
}

inline int64_t quant_grid(const QuantPlan& p, int64_t M) {
  const int64_t ctas = (M + p.rows_per_cta - 1) / p.rows_per_cta;
  return ctas < kQuantMaxCtas ? ctas : kQuantMaxCtas;
}

inline std::string quant_plan_string(int K) {
  const QuantPlan p = quant_plan(K);
  std::string s = p.threads_per_row == 32 ? "warp per row, " + std::to_string(p.rows_per_cta) + " rows per CTA"
                                          : "CTA of " + std::to_string(p.threads_per_row) + " threads per row";
  return s + (p.vpt ? ", " + std::to_string(p.vpt) + " chunks of 8 per thread in registers"
                    : ", row re-read from L2");
}

}  // namespace qgemm
