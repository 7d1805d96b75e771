// 16-byte global loads with the cache behaviour the decode kernels want, and the L2
// prefetch they issue before griddepcontrol.wait.
#pragma once

#include <cstdint>

namespace qgemm {

// Weights are read once: skip L1 (activations and scales, reused, keep it).
__device__ __forceinline__ uint4 load_streaming(const void* p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// Read-only data every warp of an SM reads again (activation rows): through L1.
__device__ __forceinline__ uint4 load_reused(const void* p) {
  uint4 v;
  asm volatile("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
  return v;
}

// The 128-byte line holding p into L2, no register written. Allowed before
// pdl::wait_for_prior_grids(): L2 is the point of coherence where the kernel before writes,
// so a line fetched early is updated by any later write to it, and nothing stale reaches a
// register (a load would be: it must wait). Decode kernels prefetch their first weights
// this way while the kernel before finishes.
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];\n" ::"l"(p)); }

}  // namespace qgemm
