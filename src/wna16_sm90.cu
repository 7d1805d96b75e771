// The extension's entry to the sm90a W4A16 GEMM (int4_k64 weights, RS wgmma): integers and
// pointers in, Status out. Built only where 90a is in the architecture list; the kernels
// themselves are instantiated in wna16_sm90_{f16,bf16}.cu.
#define QGEMM_WNA16_SM90_EXTERN_TEMPLATES
#include <atomic>
#include <string>

#include "ops.hpp"
#include "qgemm/gemm/sm90_wna16_launch.cuh"

namespace qgemm::ops {
namespace {

// 90a kernels run on compute capability 9.0 only; cached per device id < 64.
bool device_is_sm90(int& dev) {
  static std::atomic<int> cache[64];  // 0: unknown, 1: sm_90, 2: other
  if (cudaGetDevice(&dev) != cudaSuccess) return false;
  const bool cached = dev >= 0 && dev < 64;
  if (cached) {
    const int c = cache[dev].load(std::memory_order_relaxed);
    if (c) return c == 1;
  }
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    return false;
  const bool ok = major == 9 && minor == 0;
  if (cached) cache[dev].store(ok ? 1 : 2, std::memory_order_relaxed);
  return ok;
}

// The caller's schedule (decomposition >= 0), or false for the dispatch's.
bool forced_schedule(int decomposition, int splits, int reduction, Wna16Sm90Schedule& s) {
  if (decomposition < 0) return false;
  s.decomposition = static_cast<Sm90Decomposition>(decomposition);
  s.splits = splits;
  s.reduction = static_cast<Sm90Reduction>(reduction);
  return true;
}

}  // namespace

size_t wna16_sm90_workspace_bytes(int M, int N, int K, int num_sms, int config, int decomposition, int splits,
                                  int reduction) {
  Wna16Sm90Schedule s;
  const bool forced = forced_schedule(decomposition, splits, reduction, s);
  return qgemm::wna16_sm90_workspace_bytes(M, N, K, num_sms, config, forced ? &s : nullptr);
}

namespace {
// The dispatch's schedule for a row and weight kind, or false for a row or kind that does not exist.
bool dispatch_schedule(int M, int N, int K, int num_sms, int config, int kind, Wna16Sm90Schedule& s) {
  const int cfg = wna16_sm90_resolve_config(M, config);
  if (cfg < 0 || kind < 0 || kind > static_cast<int>(WeightKind::kInt8)) return false;
  s = wna16_sm90_choose_schedule(M, N, K, num_sms, cfg, WeightKind(kind));
  return true;
}
}  // namespace

int wna16_sm90_schedule(int M, int N, int K, int num_sms, int config, int kind) {
  Wna16Sm90Schedule s;
  return dispatch_schedule(M, N, K, num_sms, config, kind, s) ? static_cast<int>(s.decomposition) : -1;
}

int wna16_sm90_reduction(int M, int N, int K, int num_sms, int config, int kind) {
  Wna16Sm90Schedule s;
  return dispatch_schedule(M, N, K, num_sms, config, kind, s) ? static_cast<int>(s.reduction) : -1;
}

std::string wna16_sm90_configs_string() {
  std::string s;
  for (int i = 0; i < kWna16Sm90NumConfigs; ++i) {
    const auto& c = kWna16Sm90Configs[i];
    s += std::to_string(i) + " " + c.name + " max_m=" + std::to_string(c.max_m) + "\n";
  }
  return s;
}

int wna16_sm90_gemm_cuda(int dtype, int kind, const void* x, int64_t ldx, const void* w,
                         const void* scales, const void* zeros, const void* bias, void* out,
                         int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                         size_t workspace_bytes, int num_sms, int config, int decomposition, int splits,
                         int reduction, uintptr_t stream) {
  int dev = 0;
  if (!device_is_sm90(dev)) return int(Status::kUnsupported);
  const WnA16Params p = make_wna16_params(dtype, kind, x, ldx, w, scales, zeros, bias, out, ldo, M, N, K,
                                          group_size, workspace, workspace_bytes, num_sms);
  Wna16Sm90Schedule s;
  const bool forced = forced_schedule(decomposition, splits, reduction, s);
  return int(qgemm::wna16_gemm_sm90(p, config, reinterpret_cast<cudaStream_t>(stream), forced ? &s : nullptr));
}

}  // namespace qgemm::ops
