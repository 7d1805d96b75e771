// Split-K through a thread block cluster (sm_90+): the `splits` CTAs that share one output
// tile form a cluster (cluster dims 1 x splits, so the rank is the split). Ranks > 0 leave
// their fp32 accumulators in their own shared memory; rank 0 adds them in rank order through
// distributed shared memory and stores the tile itself. Compared with fp32 partials in a
// workspace and a second kernel (splitk_reduce.cuh) this saves the partials' round trip
// through L2 and a kernel boundary per GEMM, which at decode sizes is a few microseconds of
// a 10-20 us layer. Same sums in the same order as the reduce kernel: bit-identical outputs.
//
// The launcher uses it for 2 <= splits <= kMaxClusterSplits when the device and the
// kernel's binary are sm_90+; otherwise the workspace + reduce kernel path.
#pragma once

#include <cstdint>

#include <cute/arch/cluster_sm90.hpp>

namespace qgemm {

inline constexpr int kMaxClusterSplits = 8;  // portable cluster size

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define QGEMM_CLUSTER_SPLITK_ENABLED 1
#endif

// Every thread of every CTA of the cluster must call this (it holds two cluster barriers),
// after the CTA's last read of the shared memory that `buf` overlaps. `holds` marks the
// threads whose `acc` (N floats) is a share of the tile; a holding thread keeps element e
// at buf[slot + 32 e] of its CTA's shared memory (slot = warp base + lane: lanes hit
// consecutive words). On return, rank 0's holding threads have the cluster's sum in `acc`
// and get true; every other thread is done with the tile (false).
template <int N>
__device__ __forceinline__ bool cluster_splitk_reduce(float (&acc)[N], float* buf, int slot, bool holds) {
#if defined(QGEMM_CLUSTER_SPLITK_ENABLED)
  const uint32_t rank = cute::block_rank_in_cluster();
  const uint32_t ranks = cute::cluster_shape().y;
  if (holds && rank > 0) {
#pragma unroll
    for (int e = 0; e < N; ++e) buf[slot + e * 32] = acc[e];
  }
  cute::cluster_sync();  // release / acquire: the shares are visible cluster-wide
  if (holds && rank == 0) {
    const uint32_t local = static_cast<uint32_t>(__cvta_generic_to_shared(buf + slot));
    for (uint32_t r = 1; r < ranks; ++r) {
      const uint32_t remote = cute::set_block_rank(local, r);
#pragma unroll
      for (int e = 0; e < N; ++e) {
        float v;
        asm volatile("ld.shared::cluster.f32 %0, [%1];\n" : "=f"(v) : "r"(remote + uint32_t(e) * 32 * 4));
        acc[e] += v;
      }
    }
  }
  cute::cluster_sync();  // no CTA leaves while rank 0 still reads its shared memory
  return holds && rank == 0;
#else
  (void)acc; (void)buf; (void)slot; (void)holds;
  __trap();  // the launcher never asks an sm_80 binary for a cluster
  return false;
#endif
}

}  // namespace qgemm
