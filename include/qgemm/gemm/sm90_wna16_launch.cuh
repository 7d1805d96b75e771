// Launcher of the sm90a W4A16 / W8A16 GEMM (RS-wgmma on int4_k64 / int8_k64 weights):
//   out[M, N] = x[M, K] @ dequant(W)[N, K]^T (+ bias[N])
// Plain functions on pointers: no torch, no exceptions, no allocation, no host sync. The
// caller owns the workspace (size from wna16_sm90_workspace_bytes with the same sizes,
// config and schedule) and the device must be sm_90 (the kernels are built for 90a only).
//
// Status: kInvalidArgument for what breaks the shared rules of wna16_gemm (sizes, null
// pointers); kUnsupported for what this kernel does not serve but wna16_gemm may
// (g = 32, ldo % 8 != 0, 16-byte alignment of out / bias, a config index
// outside the table, CUTLASS can_implement failing); kWorkspaceTooSmall.
//
// The weight kind names the format: int4 / uint4 read int4_k64, int8 reads int8_k64.
// Builds that link src/wna16_sm90_*.cu define QGEMM_WNA16_SM90_EXTERN_TEMPLATES before
// including this header; header-only consumers get implicit instantiation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <cuda_runtime.h>

#include "qgemm/gemm/cutlass_run.hpp"
#include "qgemm/gemm/sm90_wna16_kernel.cuh"
#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/gemm/wna16_params.hpp"
#include "qgemm/status.hpp"

namespace qgemm {
namespace sm90 {

template <class T, WeightKind kKind, int kCfg, bool kEpilogueScale = false>
Status wna16_run(const Wna16Sm90Args& a, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  using G = Sm90Wna16<T, kKind, kCfg, kEpilogueScale>;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return Status::kCudaError;
  return run_cutlass_gemm<typename G::Gemm>(G::arguments(a, device), workspace, workspace_bytes, stream);
}

template <class T, WeightKind kKind, int kCfg>
size_t wna16_workspace(const Wna16Sm90Args& a) {
  return Sm90Wna16<T, kKind, kCfg>::workspace_bytes(a);
}

// Calls f(std::integral_constant<int, cfg>{}) for a row of kWna16Sm90Configs; `otherwise`
// for an index outside the table.
template <class R, class F>
inline R visit_config(int cfg, R otherwise, F&& f) {
  static_assert(kWna16Sm90NumConfigs == 5, "update the switch with the table");
  switch (cfg) {
    case 0: return f(std::integral_constant<int, 0>{});
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
  }
  return otherwise;
}

// (dtype, kind, config, epilogue scale) -> the instantiation.
template <class T, WeightKind kKind, bool kEpilogueScale = false>
inline Status wna16_run_cfg(int cfg, const Wna16Sm90Args& a, void* ws, size_t ws_bytes, cudaStream_t s) {
  return visit_config(cfg, Status::kUnsupported, [&](auto c) {
    return wna16_run<T, kKind, decltype(c)::value, kEpilogueScale>(a, ws, ws_bytes, s);
  });
}

template <class T, WeightKind kKind>
inline size_t wna16_workspace_cfg(int cfg, const Wna16Sm90Args& a) {
  return visit_config(cfg, size_t(0), [&](auto c) { return wna16_workspace<T, kKind, decltype(c)::value>(a); });
}

inline Wna16Sm90Args make_args(const WnA16Params& p, const Wna16Sm90Schedule& schedule) {
  return Wna16Sm90Args{p.x, p.ldx, p.w, p.scales, p.zeros, p.bias, p.out, p.ldo, p.M, p.N, p.K, p.group_size,
                       p.num_sms, schedule};
}

}  // namespace sm90

// cfg: a row of kWna16Sm90Configs, or -1 for wna16_sm90_choose_config(M).
inline int wna16_sm90_resolve_config(int M, int cfg) {
  if (cfg < 0) return wna16_sm90_choose_config(M);
  return cfg < kWna16Sm90NumConfigs ? cfg : -1;
}

// A caller's schedule names a decomposition CUTLASS has, a reduction and at least one split;
// more than one only with split-K or the heuristic (CUTLASS's can_implement refuses the others).
inline bool wna16_sm90_schedule_valid(const Wna16Sm90Schedule& s) {
  const int d = static_cast<int>(s.decomposition), r = static_cast<int>(s.reduction);
  const bool known =
      d >= static_cast<int>(Sm90Decomposition::kHeuristic) && d <= static_cast<int>(Sm90Decomposition::kStreamK) &&
      r >= static_cast<int>(Sm90Reduction::kArrivalOrder) && r <= static_cast<int>(Sm90Reduction::kTurnstile);
  const bool splits_ok = s.splits == 1 || (s.splits > 1 && (s.decomposition == Sm90Decomposition::kSplitK ||
                                                              s.decomposition == Sm90Decomposition::kHeuristic));
  return known && splits_ok;
}

// The schedule a call runs: the caller's, or (null) the dispatch's for these sizes, row and weights.
inline Wna16Sm90Schedule wna16_sm90_resolve_schedule(int M, int N, int K, int num_sms, int cfg, WeightKind kind,
                                                     const Wna16Sm90Schedule* forced) {
  return forced ? *forced : wna16_sm90_choose_schedule(M, N, K, num_sms, cfg, kind);
}

// Workspace (stream-K partials and counters) for these sizes, config and schedule (null:
// the dispatch's); 0 for sizes the kernel refuses. Depends on nothing else.
inline size_t wna16_sm90_workspace_bytes(int M, int N, int K, int num_sms, int cfg,
                                         const Wna16Sm90Schedule* schedule = nullptr) {
  cfg = wna16_sm90_resolve_config(M, cfg);
  if (cfg < 0 || M <= 0 || N <= 0 || K <= 0 || num_sms <= 0) return 0;
  if (schedule && !wna16_sm90_schedule_valid(*schedule)) return 0;
  // The workspace depends on the sizes only: strides and group size take their least values.
  const WnA16Params p = make_wna16_params(0, 0, nullptr, K, nullptr, nullptr, nullptr, nullptr, nullptr, N, M,
                                          N, K, K, nullptr, 0, num_sms);
  // The scheduler's workspace does not depend on the element, weight kind or where the scale
  // is applied (fp32 partials of the tile); bf16 / uint4 is the widest epilogue, asked for the bound.
  auto bytes = [&](const Wna16Sm90Schedule& s) {
    const sm90::Wna16Sm90Args a = sm90::make_args(p, s);
    const size_t b0 = sm90::wna16_workspace_cfg<cutlass::bfloat16_t, WeightKind::kUint4>(cfg, a);
    const size_t b1 = sm90::wna16_workspace_cfg<cutlass::half_t, WeightKind::kInt4>(cfg, a);
    return b0 > b1 ? b0 : b1;
  };
  if (schedule) return bytes(*schedule);
  // The dispatch's schedule depends on the weights (4-bit or int8): room for either. The
  // rule chooses the decomposition and the reduction alone, so the sizes differ only where they do.
  const Wna16Sm90Schedule four_bit = wna16_sm90_choose_schedule(M, N, K, num_sms, cfg, WeightKind::kInt4);
  const Wna16Sm90Schedule int8 = wna16_sm90_choose_schedule(M, N, K, num_sms, cfg, WeightKind::kInt8);
  const size_t b = bytes(four_bit);
  if (int8.decomposition == four_bit.decomposition && int8.reduction == four_bit.reduction) return b;
  const size_t b8 = bytes(int8);
  return b > b8 ? b : b8;
}

// schedule: null for the dispatch's (wna16_sm90_choose_schedule).
inline Status wna16_gemm_sm90(const WnA16Params& p, int cfg, cudaStream_t stream,
                              const Wna16Sm90Schedule* schedule = nullptr) {
  using detail::aligned;
  const Status shared = detail::wna16_check_shared(p);
  if (shared != Status::kSuccess) return shared;
  if (p.group_size % 64 != 0) return Status::kUnsupported;  // g = 32: the sm80 kernel serves it
  if (p.M == 0) return Status::kSuccess;
  if (p.ldo % 8 != 0 || !aligned(p.out, 16)) return Status::kUnsupported;  // TMA store rows
  if (p.bias && !aligned(p.bias, 16)) return Status::kUnsupported;
  cfg = wna16_sm90_resolve_config(p.M, cfg);
  if (cfg < 0) return Status::kUnsupported;
  if (schedule && !wna16_sm90_schedule_valid(*schedule)) return Status::kInvalidArgument;

  const sm90::Wna16Sm90Args a =
      sm90::make_args(p, wna16_sm90_resolve_schedule(p.M, p.N, p.K, p.num_sms, cfg, p.kind, schedule));
  auto run = [&](auto dtype) {
    using T = decltype(dtype);
    switch (p.kind) {
      case WeightKind::kInt4: return sm90::wna16_run_cfg<T, WeightKind::kInt4>(cfg, a, p.workspace, p.workspace_bytes, stream);
      case WeightKind::kUint4: return sm90::wna16_run_cfg<T, WeightKind::kUint4>(cfg, a, p.workspace, p.workspace_bytes, stream);
      case WeightKind::kInt8:
        // Per-channel int8: the scale in the epilogue (sm90_wna16_kernel.cuh, kEpilogueScale).
        if (p.group_size == p.K)
          return sm90::wna16_run_cfg<T, WeightKind::kInt8, true>(cfg, a, p.workspace, p.workspace_bytes, stream);
        return sm90::wna16_run_cfg<T, WeightKind::kInt8>(cfg, a, p.workspace, p.workspace_bytes, stream);
    }
    return Status::kUnsupported;
  };
  return p.dtype == DType::kFloat16 ? run(cutlass::half_t{}) : run(cutlass::bfloat16_t{});
}

// ---- explicit instantiation list (src/wna16_sm90_{f16,bf16,int8}.cu) -------------------
// Every row of the table for one (dtype, kind).
#define QGEMM_WNA16_SM90_FOR_EACH_ROW(X, T, K) X(T, K, 0) X(T, K, 1) X(T, K, 2) X(T, K, 3) X(T, K, 4)
#define QGEMM_WNA16_SM90_FOR_EACH_KERNEL(X, T)                                                   \
  QGEMM_WNA16_SM90_FOR_EACH_ROW(X, T, WeightKind::kInt4) QGEMM_WNA16_SM90_FOR_EACH_ROW(X, T, WeightKind::kUint4) \
  QGEMM_WNA16_SM90_FOR_EACH_ROW(X, T, WeightKind::kInt8)

#define QGEMM_WNA16_SM90_DECL(prefix, T, K, C)                                                                  \
  prefix template Status sm90::wna16_run<T, K, C>(const sm90::Wna16Sm90Args&, void*, size_t, cudaStream_t); \
  prefix template size_t sm90::wna16_workspace<T, K, C>(const sm90::Wna16Sm90Args&);
// The per-channel int8 kernels with the scale in the epilogue (src/wna16_sm90_int8_pc.cu).
#define QGEMM_WNA16_SM90_DECL_EPILOGUE_SCALE(prefix, T, K, C) \
  prefix template Status sm90::wna16_run<T, K, C, true>(const sm90::Wna16Sm90Args&, void*, size_t, cudaStream_t);

#if defined(QGEMM_WNA16_SM90_EXTERN_TEMPLATES)
#define QGEMM_WNA16_SM90_EXTERN(T, K, C) QGEMM_WNA16_SM90_DECL(extern, T, K, C)
#define QGEMM_WNA16_SM90_EXTERN_ES(T, K, C) QGEMM_WNA16_SM90_DECL_EPILOGUE_SCALE(extern, T, K, C)
QGEMM_WNA16_SM90_FOR_EACH_KERNEL(QGEMM_WNA16_SM90_EXTERN, cutlass::half_t)
QGEMM_WNA16_SM90_FOR_EACH_KERNEL(QGEMM_WNA16_SM90_EXTERN, cutlass::bfloat16_t)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_EXTERN_ES, cutlass::half_t, WeightKind::kInt8)
QGEMM_WNA16_SM90_FOR_EACH_ROW(QGEMM_WNA16_SM90_EXTERN_ES, cutlass::bfloat16_t, WeightKind::kInt8)
#undef QGEMM_WNA16_SM90_EXTERN_ES
#undef QGEMM_WNA16_SM90_EXTERN
#endif

}  // namespace qgemm
