// Dynamic shared memory above the 48 KiB default: the per-device opt-in limit and the
// one-time cudaFuncSetAttribute of a kernel (the sm80-class weight-only launchers).
#pragma once

#include <atomic>
#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/status.hpp"

namespace qgemm {
namespace detail {

// Opt-in dynamic shared memory limit per block of device `dev`
// (cudaDevAttrMaxSharedMemoryPerBlockOptin: 227 KB sm90, 163 KB sm80, 99 KB sm86/89),
// queried once per device id < 64 and cached.
inline cudaError_t wna16_smem_optin(int dev, int& bytes) {
  static std::atomic<int> cache[64];  // static storage: zero = not queried yet
  const bool cached = dev >= 0 && dev < 64;
  if (cached) {
    bytes = cache[dev].load(std::memory_order_relaxed);
    if (bytes > 0) return cudaSuccess;
  }
  const cudaError_t e = cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  if (e == cudaSuccess && cached) cache[dev].store(bytes, std::memory_order_relaxed);
  return e;
}

// Sets the dynamic shared memory limit of `fn` once per device (bit per device id < 64).
// kUnsupported (no CUDA call that fails) when the device can't give `bytes` to one CTA.
template <typename Fn>
inline Status wna16_set_smem_once(Fn fn, int bytes, std::atomic<uint64_t>& done) {
  if (bytes <= 48 * 1024) return Status::kSuccess;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return Status::kCudaError;
  const uint64_t bit = dev >= 0 && dev < 64 ? (uint64_t(1) << dev) : 0;
  if (bit && (done.load(std::memory_order_acquire) & bit)) return Status::kSuccess;
  int optin = 0;
  if (wna16_smem_optin(dev, optin) != cudaSuccess) return Status::kCudaError;
  if (bytes > optin) return Status::kUnsupported;
  if (cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) != cudaSuccess)
    return Status::kCudaError;
  if (bit) done.fetch_or(bit, std::memory_order_acq_rel);
  return Status::kSuccess;
}

}  // namespace detail
}  // namespace qgemm
