// Programmatic dependent launch (PDL, sm_90+): a kernel launched with the
// programmatic-stream-serialization attribute may start while the kernel before it on the
// stream is still finishing; it must execute griddepcontrol.wait before it reads anything
// that kernel may write or writes anything that kernel may read. The previous kernel lets
// it start early with griddepcontrol.launch_dependents (else at its exit).
//
// What it buys: the launch, the CTA rasterization and a kernel's set-up overlap the tail of
// the kernel before. At decode sizes a layer is 10-100 us and each kernel boundary costs a
// few us (H100, 70B block: README, Performance).
//
// Rules kept by every qgemm kernel launched this way:
//   - no global load or store before wait_for_prior_grids(); an L2 prefetch of the
//     weights is allowed (gemm/global_loads.cuh: prefetch_l2 says why it is safe);
//   - launch_dependents() right after that wait (a later trigger measured slower); a
//     dependent kernel still waits for this one to complete before it touches memory.
// Which launches use it is measured, not assumed (README, Weight-only GEMM): the sm80
// weight-only GEMM and the activation quantizers do; the split-K reduce and the CUTLASS
// sm90a kernels launch the ordinary way.
// A kernel compiled for an arch below sm_90 (e.g. an sm_80 build JIT-compiled from PTX on an
// H100) has neither instruction, so it is launched the ordinary way
// (kernel_waits_on_prior_grids).
//
// Process-wide switch: on by default; QGEMM_PDL=0 in the environment or
// set_dependent_launch(false) turns it off (ordinary launches, e.g. to measure the gain).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cuda_runtime.h>

namespace qgemm {
namespace pdl {

// ---- device side ------------------------------------------------------------------------

// Blocks until every grid this one depends on has completed and its memory is visible.
// A no-op when the grid was launched the ordinary way, and below sm_90.
__device__ __forceinline__ void wait_for_prior_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Lets the next kernel on the stream (if launched with PDL) start its prologue now.
__device__ __forceinline__ void launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// ---- host side --------------------------------------------------------------------------

namespace detail {
inline std::atomic<int>& switch_state() {
  static std::atomic<int> state{-1};  // -1: environment not read yet
  return state;
}
}  // namespace detail

inline bool enabled() {
  int s = detail::switch_state().load(std::memory_order_relaxed);
  if (s < 0) {
    const char* env = std::getenv("QGEMM_PDL");
    s = (env && env[0] == '0' && env[1] == '\0') ? 0 : 1;
    int expected = -1;
    detail::switch_state().compare_exchange_strong(expected, s, std::memory_order_relaxed);
    s = detail::switch_state().load(std::memory_order_relaxed);
  }
  return s == 1;
}

inline void set_enabled(bool on) { detail::switch_state().store(on ? 1 : 0, std::memory_order_relaxed); }

// Whether `Kernel`, as loaded on device `dev`, was compiled for sm_90+ and so executes the
// griddepcontrol.wait of its source. Queried once per kernel and device id < 32.
template <auto Kernel>
bool kernel_waits_on_prior_grids(int dev) {
  static std::atomic<uint64_t> bits{0};  // bit 2d: known, bit 2d + 1: capable
  if (dev < 0 || dev >= 32) return false;
  const uint64_t known = uint64_t(1) << (2 * dev), capable = known << 1;
  uint64_t b = bits.load(std::memory_order_acquire);
  if (!(b & known)) {
    cudaFuncAttributes attr{};
    if (cudaFuncGetAttributes(&attr, reinterpret_cast<const void*>(Kernel)) != cudaSuccess) {
      (void)cudaGetLastError();  // leave no error of ours behind; the launch reports its own
      return false;
    }
    bits.fetch_or(known | (attr.ptxVersion >= 90 ? capable : 0), std::memory_order_acq_rel);
    b = bits.load(std::memory_order_acquire);
  }
  return (b & capable) != 0;
}

// Whether `Kernel` is launched with PDL on the current device now.
template <auto Kernel>
bool use_for() {
  if (!enabled()) return false;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return kernel_waits_on_prior_grids<Kernel>(dev);
}

// Launches `Kernel` with PDL when use_for<Kernel>(), else the ordinary way; the status is
// this launch's own (a non-sticky error left by an earlier launch isn't returned).
template <auto Kernel>
cudaError_t launch(dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t stream) {
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cfg.attrs = attr;
  cfg.numAttrs = use_for<Kernel>() ? 1 : 0;
  return cudaLaunchKernelExC(&cfg, reinterpret_cast<const void*>(Kernel), args);
}

}  // namespace pdl
}  // namespace qgemm
