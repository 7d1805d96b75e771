// Launcher of the k64 decode GEMM (k64_decode_kernel.cuh): M <= 16 tokens on int4_k64 /
// int8_k64 weights, any GPU from sm_80 on. Plain function on pointers like the other
// weight-only launchers: no allocation, no host sync; the caller owns the workspace
// (k64_decode_workspace_bytes with the same sizes).
//
// Status: kInvalidArgument for what breaks the shared rules (wna16_params.hpp) or a tiling
// other than k64; kUnsupported for M > kK64DecodeMaxM or a group size that splits a k64
// block (G = 32); kWorkspaceTooSmall.
//
// Builds that link src/wna16_k64_decode.cu define QGEMM_K64_DECODE_EXTERN_TEMPLATES before
// including this header (the kernels are compiled there once).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cuda_runtime.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/gemm/dynamic_smem.hpp"
#include "qgemm/gemm/k64_decode_kernel.cuh"
#include "qgemm/gemm/splitk_reduce.cuh"
#include "qgemm/gemm/wna16_params.hpp"

namespace qgemm {

inline constexpr int kK64DecodeMaxM = 16;

struct K64DecodePlan {
  int tok_blocks;        // n8 token blocks (1: M <= 8, 2: M <= 16)
  int cols;              // n64 columns per CTA (1 or 2 at one token block; 4 or 2 at two)
  int col_ctas;          // column groups (kCols n64 columns each): grid.x of the split grid
  int splits;            // split grid: grid.y; stream-K: fp32 partial slots a column (2)
  int blocks_per_split;  // k64 blocks (split grid)
  int units_per_cta;     // stream-K: (column group, k64 block) units a CTA, grid.x = ctas; 0: split grid
  int ctas;              // CTAs launched
};

// Register estimate per thread for the residency model (ptxas: 90-110 at -O3, sm_90a).
inline constexpr int kK64DecodeRegs = 128;

// CTAs of the kernel resident per SM (227 KiB shared memory, 64K registers, 64 warps).
// 227 KiB is sm_90's (sm_80's 164 fits the default configurations alike); sm_86 / sm_89
// have ~100 KiB, where uint4 at one token block fits one CTA instead of the two planned
// since the fourth step buffer (72635fb): correct results, a partial second wave (two
// token blocks plan one four-column CTA, which fits). To do:
// the device's figure through the plan and the workspace size (which must stay an upper
// bound).
inline int k64_decode_ctas_per_sm(WeightKind kind, int M, int tok_blocks, int cols) {
  const int buffer = k64decode::decode_buffer_bytes(kind, M, tok_blocks, cols);
  const int by_smem = (227 * 1024) / (k64decode::kDecodeBuffers * buffer + 1024);
  const int threads = 128 * cols;
  const int by_regs = 65536 / (threads * kK64DecodeRegs);
  const int by_warps = 64 / (threads / 32);
  int n = by_smem < by_regs ? by_smem : by_regs;
  n = n < by_warps ? n : by_warps;
  return n < 1 ? 1 : n;
}

// A benchmark override of a column count: the environment variable `name` set to the single
// digit a or b gives it, anything else 0 (no override).
inline int k64_decode_cols_from_env(const char* name, int a, int b) {
  const char* env = std::getenv(name);
  return env && (env[0] == '0' + a || env[0] == '0' + b) && env[1] == '\0' ? env[0] - '0' : 0;
}

// n64 columns per CTA at one token block: two, measured faster for every weight kind (H100,
// 70B block, M = 1 / 8, benchmarks/results/bench_k64_decode_cols{1,2}_85f1c0b.json: int4
// fp16 178 / 190 -> 174 / 180 us, uint4 186 / 195 -> 181 / 185, int8 284 / 296 -> 282 / 288).
// QGEMM_K64_DECODE_COLS=1 or 2 in the environment forces them (benchmarks), read once.
inline int k64_decode_cols_one_token_block() {
  static const int forced = k64_decode_cols_from_env("QGEMM_K64_DECODE_COLS", 1, 2);
  return forced ? forced : 2;
}

// n64 columns per CTA at two token blocks: four (one 16-warp CTA an SM). Each CTA stages
// the step's x rows from L2 once for all its columns, and at 16 tokens those are half the
// weight bytes of a two-column CTA (M / 32 of them): four columns halve that L2 traffic.
// H100, 70B block, M = 9 / 12 / 16, two runs of one build (benchmarks/results/
// decode_cols2_ab_h100_wip_491ef57.json), int4 g128 fp16 176-178 / 181-183 / 188-192 us ->
// 169-171 / 171-172 / 175-176, bf16 178-182 / 186-187 / 189-193 -> 172-173 / 175 / 178,
// uint4 fp16 180-182 / 186 / 189-193 -> 178 / 179-180 / 182-183, int8 fp16 295 -> 293.
// QGEMM_K64_DECODE_COLS2=2 or 4 in the environment forces them (benchmarks), read once; the
// workspace bound covers both.
inline int k64_decode_cols_two_token_blocks() {
  static const int forced = k64_decode_cols_from_env("QGEMM_K64_DECODE_COLS2", 2, 4);
  return forced ? forced : 4;
}

inline constexpr int round_up_to(int v, int m) { return (v + m - 1) / m * m; }

// Split K into as many parts as fit the GPU's resident CTA slots in one wave (the weights
// stream at full bandwidth only with loads in flight on every SM; a second, partial wave
// measured slower: 70B qkv at M = 1, 160 columns on 528 slots, 2 splits 22.7 us, 4 splits
// 26.4; o and down, 128 columns, 4 splits 17.5 / 44.6 against 22.6 / 58.8 at 5), keeping at
// least two steps (prefetch distance) per split. forced_splits > 0 asks for that many
// (benchmarks); the cut on even k64 blocks below can make it fewer (32 blocks asked 5 ways:
// 4 splits of 8). cols2 > 0: that many columns a CTA at two token blocks (the workspace
// bound), else k64_decode_cols_two_token_blocks().
inline K64DecodePlan k64_decode_plan(WeightKind kind, int M, int N, int K, int num_sms, int forced_splits = 0,
                                     int cols2 = 0) {
  K64DecodePlan p{};
  p.tok_blocks = M <= 8 ? 1 : 2;
  p.cols = p.tok_blocks == 2 ? (cols2 > 0 ? cols2 : k64_decode_cols_two_token_blocks())
                             : k64_decode_cols_one_token_block();
  p.col_ctas = (N / 64 + p.cols - 1) / p.cols;
  const int blocks = K / 64;
  const int unroll = k64decode::decode_unroll(kind, p.tok_blocks);
  const int max_splits = blocks / (2 * unroll) > 1 ? blocks / (2 * unroll) : 1;
  const int slots = num_sms * k64_decode_ctas_per_sm(kind, M, p.tok_blocks, p.cols);
  int splits;
  if (forced_splits > 0) {
    splits = forced_splits < blocks ? forced_splits : blocks;
  } else {
    splits = slots / p.col_ctas;
    splits = splits < 1 ? 1 : splits > max_splits ? max_splits : splits;
  }
  // Cuts fall on even k64 blocks where K allows (a G = 128 group is never cut: the kernel
  // places its groups at compile time, k64_decode_kernel.cuh).
  const int cut = blocks % 2 == 0 ? 2 : 1;
  p.blocks_per_split = round_up_to((blocks + splits - 1) / splits, cut);
  p.splits = (blocks + p.blocks_per_split - 1) / p.blocks_per_split;  // no empty split
  p.ctas = p.col_ctas * p.splits;
  if (forced_splits <= 0) {
    // More column groups than CTA slots, not a whole number of waves (the 70B gate_up at
    // M = 1: 448 on 264, SMs idle 12 % of the time in the last wave, ncu on an H200):
    // stream-K instead. Each of `slots` CTAs takes an equal run of the (column group, k64
    // block) units in column-major order, a column's share in at most `splits` pieces.
    if (p.col_ctas > slots && p.col_ctas % slots != 0) {
      const int units = p.col_ctas * blocks;
      p.units_per_cta = round_up_to((units + slots - 1) / slots, cut);
      p.ctas = (units + p.units_per_cta - 1) / p.units_per_cta;
      // CTAs meeting one column: at most (blocks - 1) / units_per_cta + 2, which is 2 here
      // (col_ctas > slots makes units_per_cta > blocks)
      const int meet = (blocks - 1) / p.units_per_cta + 2;
      p.splits = meet < p.ctas ? meet : p.ctas;
      p.blocks_per_split = blocks;
    }
  }
  return p;
}

// The plan's launch grid: stream-K one row of `ctas` CTAs, else (column groups, splits).
inline dim3 k64_decode_grid(const K64DecodePlan& p) {
  return p.units_per_cta > 0 ? dim3(unsigned(p.ctas)) : dim3(unsigned(p.col_ctas), unsigned(p.splits));
}

// fp32 partials [splits, M, N] when split; 0 otherwise (the bound over the weight kinds).
inline size_t k64_decode_workspace_bytes(int M, int N, int K, int num_sms) {
  if (M <= 0 || M > kK64DecodeMaxM || N <= 0 || K < 64 || num_sms <= 0) return 0;
  size_t need = 0;
  for (WeightKind k : {WeightKind::kInt4, WeightKind::kUint4, WeightKind::kInt8})
    for (int cols2 : {2, 4}) {
      const K64DecodePlan p = k64_decode_plan(k, M, N, K, num_sms, 0, cols2);
      const size_t b = p.splits > 1 ? size_t(p.splits) * size_t(M) * size_t(N) * sizeof(float) : 0;
      need = b > need ? b : need;
    }
  return need;
}

namespace detail {

template <class T, WeightKind kKind, int kTokBlocks, int kCols, int kGroupBlocks>
Status k64_decode_run(const k64decode::Args& a, dim3 grid, int num_sms, cudaStream_t stream) {
  using K = k64decode::DecodeKernel<T, kKind, kTokBlocks, kCols>;
  constexpr auto kernel = k64decode::k64_decode_kernel<T, kKind, kTokBlocks, kCols, kGroupBlocks>;
  const int smem = K::smem_bytes(a.M);
  static std::atomic<uint64_t> smem_done{0};
  const Status st = wna16_set_smem_once(kernel, K::smem_bytes(8 * kTokBlocks), smem_done);
  if (st != Status::kSuccess) return st;
  void* kargs[] = {const_cast<k64decode::Args*>(&a)};
  if (pdl::launch<kernel>(grid, dim3(K::kThreads), kargs, size_t(smem), stream) != cudaSuccess)
    return Status::kCudaError;
  if (a.splits > 1)
    return launch_splitk_reduce<T>(a.partials, reinterpret_cast<const T*>(a.bias), reinterpret_cast<T*>(a.out), a.ldo,
                                   a.M, a.N, a.splits, num_sms, stream);
  return Status::kSuccess;
}

template <class T, WeightKind kKind, int kGroupBlocks>
Status k64_decode_run_tokens(const k64decode::Args& a, const K64DecodePlan& plan, int num_sms, cudaStream_t stream) {
  const dim3 grid = k64_decode_grid(plan);
  if (plan.tok_blocks == 2 && plan.cols == 4) return k64_decode_run<T, kKind, 2, 4, kGroupBlocks>(a, grid, num_sms, stream);
  if (plan.tok_blocks == 2) return k64_decode_run<T, kKind, 2, 2, kGroupBlocks>(a, grid, num_sms, stream);
  if (plan.cols == 2) return k64_decode_run<T, kKind, 1, 2, kGroupBlocks>(a, grid, num_sms, stream);
  return k64_decode_run<T, kKind, 1, 1, kGroupBlocks>(a, grid, num_sms, stream);
}

// k64 blocks a scale group, a template argument of the kernel: 1 (G = 64), 2 (G = 128; the
// shared rules' K % 128 == 0 makes every cut of k64_decode_plan even, which
// tests/test_wna16_decode_plan.py checks), 0 (one group, G = K).
template <class T, WeightKind kKind>
Status k64_decode_run_groups(const k64decode::Args& a, const K64DecodePlan& plan, int num_sms, cudaStream_t stream) {
  switch (a.group_shift) {
    case 0: return k64_decode_run_tokens<T, kKind, 1>(a, plan, num_sms, stream);
    case 1: return k64_decode_run_tokens<T, kKind, 2>(a, plan, num_sms, stream);
    default: return k64_decode_run_tokens<T, kKind, 0>(a, plan, num_sms, stream);
  }
}

template <class T>
Status k64_decode_run_kind(WeightKind kind, const k64decode::Args& a, const K64DecodePlan& plan, int num_sms,
                           cudaStream_t stream) {
  switch (kind) {
    case WeightKind::kInt4: return k64_decode_run_groups<T, WeightKind::kInt4>(a, plan, num_sms, stream);
    case WeightKind::kUint4: return k64_decode_run_groups<T, WeightKind::kUint4>(a, plan, num_sms, stream);
    case WeightKind::kInt8: return k64_decode_run_groups<T, WeightKind::kInt8>(a, plan, num_sms, stream);
  }
  return Status::kUnsupported;
}

}  // namespace detail

inline Status wna16_k64_decode_gemm(const WnA16Params& p, cudaStream_t stream) {
  const Status shared = detail::wna16_check_shared(p);
  if (shared != Status::kSuccess) return shared;
  if (p.tiling != WeightTiling::kK64 || p.splits < 0) return Status::kInvalidArgument;
  if (p.group_size % 64 != 0) return Status::kUnsupported;  // G = 32 splits a k64 block
  if (p.M == 0) return Status::kSuccess;
  if (p.M > kK64DecodeMaxM) return Status::kUnsupported;
  if (p.bias && !detail::aligned(p.bias, 2)) return Status::kInvalidArgument;
  if (!detail::aligned(p.out, 2)) return Status::kInvalidArgument;

  const K64DecodePlan plan = k64_decode_plan(p.kind, p.M, p.N, p.K, p.num_sms, p.splits);
  k64decode::Args a{};
  if (plan.splits > 1) {
    const size_t need = size_t(plan.splits) * size_t(p.M) * size_t(p.N) * sizeof(float);
    if (!p.workspace || p.workspace_bytes < need) return Status::kWorkspaceTooSmall;
    if (!detail::aligned(p.workspace, 16)) return Status::kInvalidArgument;
    a.partials = static_cast<float*>(p.workspace);
  }
  a.x = static_cast<const uint8_t*>(p.x);
  a.w = static_cast<const uint8_t*>(p.w);
  a.scales = static_cast<const uint8_t*>(p.scales);
  a.zeros = static_cast<const uint8_t*>(p.zeros);
  a.bias = static_cast<const uint8_t*>(p.bias);
  a.out = static_cast<uint8_t*>(p.out);
  a.ldx = p.ldx;
  a.ldo = p.ldo;
  a.M = p.M;
  a.N = p.N;
  a.K = p.K;
  // Group index of k64 block b: b >> group_shift (G = 64, 128); one group when G == K.
  a.group_shift = p.group_size == p.K ? 30 : (p.group_size == 64 ? 0 : 1);
  a.blocks_per_split = plan.blocks_per_split;
  a.splits = plan.splits;
  a.units_per_cta = plan.units_per_cta;
  if (p.dtype == DType::kFloat16) return detail::k64_decode_run_kind<__half>(p.kind, a, plan, p.num_sms, stream);
  return detail::k64_decode_run_kind<__nv_bfloat16>(p.kind, a, plan, p.num_sms, stream);
}

// ---- explicit instantiations (src/wna16_k64_decode.cu): (token blocks, columns) x group blocks
#define QGEMM_K64_DECODE_FOR_EACH_GROUP(X, T, K, B, C) X(T, K, B, C, 1) X(T, K, B, C, 2) X(T, K, B, C, 0)
#define QGEMM_K64_DECODE_FOR_EACH_KIND(X, T, K)                                                             \
  QGEMM_K64_DECODE_FOR_EACH_GROUP(X, T, K, 1, 1)                                                            \
  QGEMM_K64_DECODE_FOR_EACH_GROUP(X, T, K, 1, 2) QGEMM_K64_DECODE_FOR_EACH_GROUP(X, T, K, 2, 2)              \
  QGEMM_K64_DECODE_FOR_EACH_GROUP(X, T, K, 2, 4)
#define QGEMM_K64_DECODE_FOR_EACH(X)                                                                        \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __half, WeightKind::kInt4)                                              \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __half, WeightKind::kUint4)                                             \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __half, WeightKind::kInt8)                                              \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __nv_bfloat16, WeightKind::kInt4)                                       \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __nv_bfloat16, WeightKind::kUint4)                                      \
  QGEMM_K64_DECODE_FOR_EACH_KIND(X, __nv_bfloat16, WeightKind::kInt8)
#define QGEMM_K64_DECODE_INSTANTIATE(T, K, B, C, G) \
  template Status detail::k64_decode_run<T, K, B, C, G>(const k64decode::Args&, dim3, int, cudaStream_t);
#if defined(QGEMM_K64_DECODE_EXTERN_TEMPLATES)
#define QGEMM_K64_DECODE_EXTERN(T, K, B, C, G) \
  extern template Status detail::k64_decode_run<T, K, B, C, G>(const k64decode::Args&, dim3, int, cudaStream_t);
QGEMM_K64_DECODE_FOR_EACH(QGEMM_K64_DECODE_EXTERN)
#undef QGEMM_K64_DECODE_EXTERN
#endif

}  // namespace qgemm
