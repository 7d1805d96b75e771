// Launcher of the SM80-class weight-only GEMM (W4A16 / W8A16):
//   out[M, N] = x[M, K] @ dequant(W)[N, K]^T (+ bias[N])
// Plain function on pointers: no torch, no exceptions, no allocation, no host sync.
// The caller owns the workspace (size from wna16_workspace_bytes with the same M, N, K,
// num_sms) and queries num_sms once (cudaDevAttrMultiProcessorCount).
//
// Builds that link src/wna16_gemm.cu (the explicit instantiations) define
// QGEMM_WNA16_EXTERN_TEMPLATES before including this header so the kernels are compiled
// once; header-only consumers leave it undefined and get implicit instantiation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/gemm/dynamic_smem.hpp"
#include "qgemm/gemm/sm80_wna16_kernel.cuh"
#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/gemm/wna16_params.hpp"
#include "qgemm/status.hpp"

namespace qgemm {

// WnA16Params: include/qgemm/gemm/wna16_params.hpp (shared with the sm90a launcher).

// (wna16_workspace_bytes(M, N, K, num_sms) is defined in wna16_dispatch.hpp.)

namespace detail {

// Launches go through cudaLaunchKernelExC (pdl::launch: programmatic dependent launch where
// the device and the kernel's binary have it) so the status is this launch's own: a
// non-sticky error left pending by an earlier, unrelated launch (which cudaPeekAtLastError
// would return, on every later call, since it never clears it) isn't reported as ours. A
// failed launch still records its error for cudaGetLastError(), as status.hpp promises.
template <typename T, WeightKind kKind, int kCfg, WeightTiling kTiling>
Status wna16_run(const sm80::Wna16KernelArgs& args, int num_sms, cudaStream_t stream) {
  using ML = sm80::Sm80Wna16Mainloop<T, kKind, kCfg, kTiling>;
  auto kernel = sm80::sm80_wna16_gemm_kernel<T, kKind, kCfg, kTiling>;
  static std::atomic<uint64_t> smem_done{0};
  const Status st = wna16_set_smem_once(kernel, ML::SMEM_BYTES, smem_done);
  if (st != Status::kSuccess) return st;

  // m_tiles, n_tiles >= 1 (M, N > 0, ceil counts); the caller checked the product fits.
  const dim3 grid(unsigned(args.m_tiles * args.n_tiles), unsigned(args.splits));
  {
    void* kargs[] = {const_cast<sm80::Wna16KernelArgs*>(&args)};
    if (pdl::launch<sm80::sm80_wna16_gemm_kernel<T, kKind, kCfg, kTiling>>(grid, dim3(ML::THREADS), kargs,
                                                                          size_t(ML::SMEM_BYTES), stream) != cudaSuccess)
      return Status::kCudaError;
  }

  if (args.splits > 1)
    return launch_splitk_reduce<T>(args.partials, reinterpret_cast<const T*>(args.bias), reinterpret_cast<T*>(args.out),
                                   args.ldo, args.ml.M, args.ml.N, args.splits, num_sms, stream);
  return Status::kSuccess;
}

template <typename T, WeightKind kKind, WeightTiling kTiling>
inline Status wna16_run_config(int cfg, const sm80::Wna16KernelArgs& args, int num_sms, cudaStream_t stream) {
  static_assert(kWna16NumConfigs == 4, "update the switch below with the table");
  switch (cfg) {
    case 0: return wna16_run<T, kKind, 0, kTiling>(args, num_sms, stream);
    case 1: return wna16_run<T, kKind, 1, kTiling>(args, num_sms, stream);
    case 2: return wna16_run<T, kKind, 2, kTiling>(args, num_sms, stream);
    case 3: return wna16_run<T, kKind, 3, kTiling>(args, num_sms, stream);
  }
  return Status::kUnsupported;
}

template <typename T, WeightTiling kTiling>
inline Status wna16_run_kind(WeightKind kind, int cfg, const sm80::Wna16KernelArgs& args, int num_sms,
                             cudaStream_t stream) {
  switch (kind) {
    case WeightKind::kInt4: return wna16_run_config<T, WeightKind::kInt4, kTiling>(cfg, args, num_sms, stream);
    case WeightKind::kUint4: return wna16_run_config<T, WeightKind::kUint4, kTiling>(cfg, args, num_sms, stream);
    case WeightKind::kInt8: return wna16_run_config<T, WeightKind::kInt8, kTiling>(cfg, args, num_sms, stream);
  }
  return Status::kUnsupported;
}

template <typename T>
inline Status wna16_run_tiling(WeightTiling tiling, WeightKind kind, int cfg, const sm80::Wna16KernelArgs& args,
                               int num_sms, cudaStream_t stream) {
  if (tiling == WeightTiling::kK64) return wna16_run_kind<T, WeightTiling::kK64>(kind, cfg, args, num_sms, stream);
  return wna16_run_kind<T, WeightTiling::kFragment>(kind, cfg, args, num_sms, stream);
}

}  // namespace detail

inline Status wna16_gemm(const WnA16Params& p, cudaStream_t stream) {
  using detail::aligned;
  const Status shared = detail::wna16_check_shared(p);
  if (shared != Status::kSuccess) return shared;
  if (p.M == 0) return Status::kSuccess;
  if (p.ldo % 2 != 0 || !aligned(p.out, 4)) return Status::kInvalidArgument;
  if (p.bias && !aligned(p.bias, 2)) return Status::kInvalidArgument;
  const int G = p.group_size;

  if (p.splits < 0) return Status::kInvalidArgument;
  Wna16Plan plan = wna16_plan(p.M, p.N, p.K, p.num_sms, p.kind);
  if (p.splits > 0) plan.splits = p.splits < plan.k_iters ? p.splits : plan.k_iters;
  const Wna16TileConfig& c = kWna16Configs[plan.config];
  if (int64_t(plan.m_tiles) * plan.n_tiles > int64_t(0x7fffffff)) return Status::kUnsupported;

  sm80::Wna16KernelArgs a{};
  a.ml.x = static_cast<const uint8_t*>(p.x);
  a.ml.w = static_cast<const uint8_t*>(p.w);
  a.ml.scales = static_cast<const uint8_t*>(p.scales);
  a.ml.zeros = static_cast<const uint8_t*>(p.zeros);
  a.ml.ldx = p.ldx;
  a.ml.M = p.M;
  a.ml.N = p.N;
  a.ml.K = p.K;
  a.ml.per_channel = G == p.K;
  a.ml.group_shift = G == p.K ? 31 : (G == 32 ? 5 : G == 64 ? 6 : 7);  // G in {32, 64, 128} otherwise
  a.ml.stage_groups = G < c.bk ? c.bk / G : 1;
  if (G < c.bk) {  // G in {32, 64}: several groups per stage, row = kk / G
    a.ml.row_shift = G == 32 ? 5 : 6;
    a.ml.step_mask = G - 1;
  } else {  // one group per stage
    a.ml.row_shift = 8;  // kk < 128
    a.ml.step_mask = c.bk - 1;
  }
  a.bias = static_cast<const uint8_t*>(p.bias);
  a.out = static_cast<uint8_t*>(p.out);
  a.ldo = p.ldo;
  a.m_tiles = plan.m_tiles;
  a.n_tiles = plan.n_tiles;
  a.k_iters = plan.k_iters;
  a.splits = plan.splits;
  if (plan.splits > 1) {
    const size_t need = size_t(plan.splits) * size_t(p.M) * size_t(p.N) * sizeof(float);
    if (!p.workspace || p.workspace_bytes < need) return Status::kWorkspaceTooSmall;
    if (!aligned(p.workspace, 16)) return Status::kInvalidArgument;
    a.partials = static_cast<float*>(p.workspace);
  }

  if (p.dtype == DType::kFloat16)
    return detail::wna16_run_tiling<__half>(p.tiling, p.kind, plan.config, a, p.num_sms, stream);
  return detail::wna16_run_tiling<__nv_bfloat16>(p.tiling, p.kind, plan.config, a, p.num_sms, stream);
}

// ---- explicit instantiation list (src/wna16_gemm.cu: fragment tiling, src/wna16_gemm_k64.cu)
#define QGEMM_WNA16_FOR_EACH_CONFIG(X, T, K, L) X(T, K, 0, L) X(T, K, 1, L) X(T, K, 2, L) X(T, K, 3, L)
#define QGEMM_WNA16_FOR_EACH_KERNEL(X, L)                                                              \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __half, WeightKind::kInt4, L)                                        \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __half, WeightKind::kUint4, L)                                       \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __half, WeightKind::kInt8, L)                                        \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __nv_bfloat16, WeightKind::kInt4, L)                                 \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __nv_bfloat16, WeightKind::kUint4, L)                                \
  QGEMM_WNA16_FOR_EACH_CONFIG(X, __nv_bfloat16, WeightKind::kInt8, L)

#define QGEMM_WNA16_INSTANTIATE(T, K, C, L) \
  template Status detail::wna16_run<T, K, C, L>(const sm80::Wna16KernelArgs&, int, cudaStream_t);

// QGEMM_WNA16_EXTERN_TEMPLATES: every kernel is compiled elsewhere; QGEMM_WNA16_EXTERN_K64 /
// _FRAGMENT: that tiling's kernels are (each instantiation TU names the other's extern).
#define QGEMM_WNA16_EXTERN(T, K, C, L) \
  extern template Status detail::wna16_run<T, K, C, L>(const sm80::Wna16KernelArgs&, int, cudaStream_t);
#if defined(QGEMM_WNA16_EXTERN_TEMPLATES) || defined(QGEMM_WNA16_EXTERN_FRAGMENT)
QGEMM_WNA16_FOR_EACH_KERNEL(QGEMM_WNA16_EXTERN, WeightTiling::kFragment)
#endif
#if defined(QGEMM_WNA16_EXTERN_TEMPLATES) || defined(QGEMM_WNA16_EXTERN_K64)
QGEMM_WNA16_FOR_EACH_KERNEL(QGEMM_WNA16_EXTERN, WeightTiling::kK64)
#endif
#undef QGEMM_WNA16_EXTERN

}  // namespace qgemm
