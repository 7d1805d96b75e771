// CUTLASS's sm90 stream-K tile scheduler with a third reduction of the partial tiles:
// peer slots. Repeatable run to run like CUTLASS's turnstile, without its queue (its sum
// order differs from the turnstile's, so the two are not bit-identical to each other).
//
// CUTLASS's deterministic mode (the turnstile) has the peers of a split tile take turns:
// the first stores its fp32 partial, each later one waits for the one before and adds into
// the workspace with scalar atomics (red.global.add.f32, 64 a thread on a 256 x 64 tile),
// and the final peer waits for all of them. At 64 tokens peers end their mainloops together,
// so the adds run one after the other: o of the 70B block has 4-5 peers a tile and its CTAs
// end up to 11.6 us after their last mma (sm90_timeline_m64_*_e9da723_ramp0.csv).
//
// Peer slots: each non-final peer stores its partial with 16-byte stores into a slot of its
// own, takes the slot in arrival order (one atomic), notes its k offset beside it, and never
// waits. The final peer waits for the k-tiles before its own (as in the turnstile), then
// adds the slots in order of their k offset, so the sum is the same run after run
// whatever the arrival order. Each warp of a consumer warpgroup does this for its own
// accumulators (the partial is striped so no two warps share an address): no named
// barriers, a lock, a slot counter and slots a warp.
//
// Selected by the scheduler tag StreamKSlotsScheduler in GemmUniversal and the reduction
// mode kReductionPeerSlots in its arguments; the other modes are CUTLASS's, unchanged.
// Assumes what qgemm's kernels have: 1 x 1 clusters (the slot bound counts tiles a group
// without cluster rounding), CUTLASS's separate reduction off (it is, in 4.2), and
// initialize() before every launch (run_cutlass_gemm), which zeroes the locks and counters.
#pragma once

#include <cstdint>

#include <cute/tensor.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/gemm/kernel/sm90_tile_scheduler_stream_k.hpp>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>
#include <cutlass/workspace.h>

namespace qgemm::sm90 {

// The tag GemmUniversal takes for this scheduler.
struct StreamKSlotsScheduler {};

// CUTLASS's ReductionMode has two values; this scheduler reads a third (an enum class with
// int underlying type holds it) and passes the others through.
inline constexpr auto kReductionPeerSlots = static_cast<cutlass::gemm::kernel::detail::ReductionMode>(2);

template <class TileShape, class ClusterShape>
class StreamKSlotsTileScheduler
    : public cutlass::gemm::kernel::detail::PersistentTileSchedulerSm90StreamK<TileShape, ClusterShape> {
  using Base = cutlass::gemm::kernel::detail::PersistentTileSchedulerSm90StreamK<TileShape, ClusterShape>;
  static_assert(cute::size(ClusterShape{}) == 1, "peer slots are sized for 1 x 1 clusters");

 public:
  using typename Base::Arguments;
  using typename Base::Params;
  using typename Base::WorkTileInfo;
  using Base::Base;

  static constexpr int kWarpsPerGroup = 4;  // a consumer warpgroup

  // Where the slots live, from the scheduler's params (host and device agree).
  struct SlotLayout {
    uint64_t tiles = 0;  // tiles that can be split: every output tile under split-K, else the stream-K tiles
    uint32_t slots = 0;  // slots a (tile, warp)
    CUTLASS_HOST_DEVICE static SlotLayout of(Params const& p) {
      SlotLayout l;
      if (p.divmod_splits_.divisor > 1) {
        l.tiles = p.units_per_problem_;
        l.slots = p.divmod_splits_.divisor;
      } else if (p.sk_tiles_ > 0) {
        // CUTLASS's bound on a tile's peers (units / tiles + 2), taken within a group of
        // stream-K units, whose tiles may be one fewer than the average when groups do not
        // divide them.
        const uint64_t groups = p.divmod_sk_groups_.divisor > 0 ? p.divmod_sk_groups_.divisor : 1;
        const uint64_t units = (p.sk_units_ + groups - 1) / groups;
        const uint64_t tiles = p.sk_tiles_ / groups > 0 ? p.sk_tiles_ / groups : 1;
        l.tiles = p.sk_tiles_;
        l.slots = uint32_t((units + tiles - 1) / tiles + 2);
      }
      return l;
    }
    // Per (tile, warpgroup, warp): a lock (k-tiles arrived) and a slot counter, zeroed by
    // initialize_workspace before each launch; a k offset a slot; the slots' partials.
    CUTLASS_HOST_DEVICE uint64_t warps(uint32_t groups) const { return tiles * groups * kWarpsPerGroup; }
    CUTLASS_HOST_DEVICE uint64_t lock_bytes(uint32_t groups) const { return align128(warps(groups) * 2 * sizeof(int)); }
    CUTLASS_HOST_DEVICE uint64_t header_bytes(uint32_t groups) const {
      return align128(warps(groups) * slots * sizeof(int));
    }
    CUTLASS_HOST_DEVICE uint64_t bytes(uint32_t groups, uint64_t partial_bytes_per_warp) const {
      return tiles == 0 ? 0 : lock_bytes(groups) + header_bytes(groups) + warps(groups) * slots * partial_bytes_per_warp;
    }
    CUTLASS_HOST_DEVICE static uint64_t align128(uint64_t b) { return (b + 127) / 128 * 128; }
  };

  // Bytes of one warp's accumulators (the tile over the consumer threads).
  static constexpr uint64_t partial_bytes_per_warp(uint32_t groups) {
    return uint64_t(cute::size<0>(TileShape{})) * cute::size<1>(TileShape{}) * sizeof(float) / (groups * kWarpsPerGroup);
  }

  template <class ProblemShape>
  static Params params_for(Arguments const& args, ProblemShape problem_shape, cutlass::KernelHardwareInfo const& hw_info,
                           uint32_t epilogue_subtile) {
    return Base::to_underlying_arguments(cute::append<4>(problem_shape, 1), TileShape{}, ClusterShape{}, hw_info, args,
                                         nullptr, epilogue_subtile);
  }

  template <class ProblemShape, class ElementAccumulator>
  static size_t get_workspace_size(Arguments const& args, ProblemShape problem_shape,
                                   cutlass::KernelHardwareInfo const& hw_info, uint32_t mma_warp_groups,
                                   const uint32_t epilogue_subtile = 1, uint32_t num_accumulator_mtxs = 1) {
    if (args.reduction_mode != kReductionPeerSlots)
      return Base::template get_workspace_size<ProblemShape, ElementAccumulator>(
          args, problem_shape, hw_info, mma_warp_groups, epilogue_subtile, num_accumulator_mtxs);
    static_assert(sizeof(ElementAccumulator) == sizeof(float), "peer slots hold fp32 partials");
    const SlotLayout l = SlotLayout::of(params_for(args, problem_shape, hw_info, epilogue_subtile));
    return l.bytes(mma_warp_groups, partial_bytes_per_warp(mma_warp_groups));
  }

  template <class ProblemShape, class ElementAccumulator>
  static cutlass::Status initialize_workspace(Arguments const& args, void* workspace, cudaStream_t stream,
                                              ProblemShape const& problem_shape,
                                              cutlass::KernelHardwareInfo const& hw_info, uint32_t mma_warp_groups,
                                              const uint32_t epilogue_subtile = 1, uint32_t num_accumulator_mtxs = 1,
                                              cutlass::CudaHostAdapter* cuda_adapter = nullptr) {
    if (args.reduction_mode != kReductionPeerSlots)
      return Base::template initialize_workspace<ProblemShape, ElementAccumulator>(
          args, workspace, stream, problem_shape, hw_info, mma_warp_groups, epilogue_subtile, num_accumulator_mtxs,
          cuda_adapter);
    const SlotLayout l = SlotLayout::of(params_for(args, problem_shape, hw_info, epilogue_subtile));
    if (l.tiles == 0) return cutlass::Status::kSuccess;
    return cutlass::zero_workspace(workspace, l.lock_bytes(mma_warp_groups), stream, cuda_adapter);
  }

  template <class FrgTensorC>
  CUTLASS_DEVICE static void fixup(Params const& params, WorkTileInfo const& work, FrgTensorC& accumulators,
                                   uint32_t num_barriers, uint32_t barrier_idx) {
    if (params.reduction_mode_ != kReductionPeerSlots) {
      Base::fixup(params, work, accumulators, num_barriers, barrier_idx);
      return;
    }
    if (!Base::requires_fixup(params, work)) return;

    constexpr int kValues = int(cute::size(FrgTensorC{}));
    static_assert(kValues % 4 == 0, "partials move as float4");
    static_assert(sizeof(typename FrgTensorC::value_type) == sizeof(float), "fp32 accumulators");
    const SlotLayout l = SlotLayout::of(params);
    const uint32_t lane = threadIdx.x % 32;
    const uint32_t warp = (threadIdx.x / 32) % kWarpsPerGroup;
    const uint64_t tile = Base::output_tile_index(params, work);
    const uint64_t w = (tile * num_barriers + barrier_idx) * kWarpsPerGroup + warp;

    auto* base = reinterpret_cast<char*>(params.reduction_workspace_);
    int* lock = reinterpret_cast<int*>(base) + 2 * w;
    int* counter = lock + 1;
    int* offsets = reinterpret_cast<int*>(base + l.lock_bytes(num_barriers)) + w * l.slots;
    float4* partials = reinterpret_cast<float4*>(base + l.lock_bytes(num_barriers) + l.header_bytes(num_barriers)) +
                       w * l.slots * (kValues / 4) * 32;
    float* acc = accumulators.data();  // registers: moved as float4 below, element by element

    if (!Base::compute_epilogue(work, params)) {
      int slot = 0;
      if (lane == 0) slot = atomicAdd(counter, 1);
      slot = __shfl_sync(0xffffffffu, slot, 0);
      if (slot >= int(l.slots)) __trap();  // more peers than CUTLASS's bound: a scheduler bug, never a result
      float4* mine = partials + uint64_t(slot) * (kValues / 4) * 32;
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < kValues / 4; ++i)
        __stcg(mine + i * 32 + lane, make_float4(acc[4 * i], acc[4 * i + 1], acc[4 * i + 2], acc[4 * i + 3]));
      if (lane == 0) offsets[slot] = work.K_idx;
      __syncwarp();
      if (lane == 0) {
        // Release: the warp's stores (ordered before by __syncwarp) before the k-tile count.
        asm volatile("fence.acq_rel.gpu;\n" ::: "memory");
        asm volatile("red.relaxed.gpu.global.add.s32 [%0], %1;\n" ::"l"(lock), "r"(int(work.k_tile_count)) : "memory");
      }
      return;
    }

    // Final peer: the k-tiles before its own are in once the lock counts them.
    int arrived;
    do {
      asm volatile("ld.global.acquire.gpu.b32 %0, [%1];\n" : "=r"(arrived) : "l"(lock) : "memory");
    } while (arrived != work.K_idx);
    const int peers = __ldcg(counter);
    // Add the slots in order of their k offset (distinct, since peers cover disjoint k ranges).
    int last = -1;
    for (int r = 0; r < peers; ++r) {
      int next = 0x7fffffff, slot = 0;
      for (int s = 0; s < peers; ++s) {
        const int k = __ldcg(offsets + s);
        if (k > last && k < next) next = k, slot = s;
      }
      last = next;
      const float4* theirs = partials + uint64_t(slot) * (kValues / 4) * 32;
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < kValues / 4; ++i) {
        const float4 v = __ldcg(theirs + i * 32 + lane);
        acc[4 * i] += v.x, acc[4 * i + 1] += v.y, acc[4 * i + 2] += v.z, acc[4 * i + 3] += v.w;
      }
    }
  }
};

}  // namespace qgemm::sm90

namespace cutlass::gemm::kernel::detail {

template <class TileShape, class ClusterShape, uint32_t SchedulerPipelineStageCount>
struct TileSchedulerSelector<qgemm::sm90::StreamKSlotsScheduler, arch::Sm90, TileShape, ClusterShape,
                             SchedulerPipelineStageCount> {
  using Scheduler = qgemm::sm90::StreamKSlotsTileScheduler<TileShape, ClusterShape>;
};

}  // namespace cutlass::gemm::kernel::detail
