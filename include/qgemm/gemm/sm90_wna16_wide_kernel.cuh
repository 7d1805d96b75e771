// A warp-specialized sm90 GEMM kernel (CUTLASS 3.x GemmUniversal contract) with a free
// number of consumer warpgroups sharing one tile: one TMA producer warpgroup and
// NumMmaWarpGroups = size(TiledMma) / 128 consumers, e.g. four of 64 weight rows each on a
// 256-row tile of the W4A16 mainloop (sm90_wna16_mainloop.cuh).
//
// Why not CUTLASS's cooperative kernel: it fixes two consumer warpgroups (static_assert on
// 256 MMA threads) and a 232-register consumer budget. At 64 tokens the W4A16 consumers are
// latency-bound on the conversion chain (docs/design/sm90_wna16.md, section 5: two warps a
// scheduler issue once every ~4.3 cycles each), and twice the consumer warps on the same
// tile and pipeline are the cheapest way to hide it. With 640 threads the launch bound gives
// every thread 65536 / 640 -> 96 registers, enough for a 64 x 64 accumulator tile a
// warpgroup. No setmaxnreg: ptxas compiles the whole kernel at the launch-bound cap anyway.
//
// Same roles and order as the cooperative kernel otherwise: warp 0 of the producer
// warpgroup runs the mainloop loads, warp 2 the epilogue loads (only when the epilogue reads
// C), all consumers run every work tile of the (static persistent or stream-K) scheduler,
// then its fix-up and the TMA epilogue. No clusters (1 x 1 x 1), no dynamic scheduler.
#pragma once

#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>
#include <cutlass/arch/grid_dependency_control.h>
#include <cutlass/barrier.h>
#include <cutlass/cutlass.h>
#include <cutlass/gemm/dispatch_policy.hpp>
#include <cutlass/gemm/gemm.h>
#include <cutlass/gemm/kernel/gemm_universal_decl.h>
#include <cutlass/gemm/kernel/tile_scheduler.hpp>
#include <cutlass/kernel_hardware_info.hpp>
#include <cutlass/pipeline/pipeline.hpp>
#include <cutlass/workspace.h>

namespace qgemm::sm90 {

// Kernel schedule tag of the mainloop's dispatch policy: selects the kernel below.
struct KernelWideWarpSpecialized {
  static constexpr int SchedulerPipelineStageCount = 0;
};

}  // namespace qgemm::sm90

namespace cutlass::gemm::kernel {

template <class ProblemShape_, class CollectiveMainloop_, class CollectiveEpilogue_, class TileSchedulerTag_>
class GemmUniversal<ProblemShape_, CollectiveMainloop_, CollectiveEpilogue_, TileSchedulerTag_,
                    cute::enable_if_t<cute::is_base_of_v<qgemm::sm90::KernelWideWarpSpecialized,
                                                         typename CollectiveMainloop_::DispatchPolicy::Schedule>>> {
 public:
  using ProblemShape = ProblemShape_;
  static_assert(cute::rank(ProblemShape{}) == 4, "ProblemShape is (M, N, K, L)");

  using CollectiveMainloop = CollectiveMainloop_;
  using TileShape = typename CollectiveMainloop::TileShape;
  using TiledMma = typename CollectiveMainloop::TiledMma;
  using ArchTag = typename CollectiveMainloop::ArchTag;
  using ElementA = typename CollectiveMainloop::ElementA;
  using StrideA = typename CollectiveMainloop::StrideA;
  using ElementB = typename CollectiveMainloop::ElementB;
  using StrideB = typename CollectiveMainloop::StrideB;
  using DispatchPolicy = typename CollectiveMainloop::DispatchPolicy;
  using ElementAccumulator = typename CollectiveMainloop::ElementAccumulator;
  using ClusterShape = typename DispatchPolicy::ClusterShape;
  static_assert(cute::size(ClusterShape{}) == 1, "no clusters");
  using MainloopArguments = typename CollectiveMainloop::Arguments;
  using MainloopParams = typename CollectiveMainloop::Params;

  using CollectiveEpilogue = CollectiveEpilogue_;
  using ElementC = typename CollectiveEpilogue::ElementC;
  using StrideC = typename CollectiveEpilogue::StrideC;
  using ElementD = typename CollectiveEpilogue::ElementD;
  using StrideD = typename CollectiveEpilogue::StrideD;
  using EpilogueArguments = typename CollectiveEpilogue::Arguments;
  using EpilogueParams = typename CollectiveEpilogue::Params;

  using TileSchedulerTag = TileSchedulerTag_;
  using TileScheduler =
      typename detail::TileSchedulerSelector<TileSchedulerTag, ArchTag, TileShape, ClusterShape, 0>::Scheduler;
  static_assert(!TileScheduler::IsDynamicPersistent, "static persistent or stream-K schedulers only");
  using TileSchedulerArguments = typename TileScheduler::Arguments;
  using TileSchedulerParams = typename TileScheduler::Params;

  static constexpr uint32_t NumLoadWarpGroups = 1;
  static constexpr uint32_t NumMMAThreads = cute::size(TiledMma{});
  static constexpr uint32_t NumMmaWarpGroups = NumMMAThreads / NumThreadsPerWarpGroup;
  static_assert(NumMMAThreads % NumThreadsPerWarpGroup == 0 && NumMmaWarpGroups >= 1, "whole warpgroups");
  static constexpr uint32_t MaxThreadsPerBlock = NumMMAThreads + NumLoadWarpGroups * NumThreadsPerWarpGroup;
  static constexpr uint32_t MinBlocksPerMultiprocessor = 1;
  static constexpr uint32_t NumEpilogueLoadThreads = NumThreadsPerWarp;

  // The stream-K scheduler's own fixup() names two barriers (StreamkBarrier0/1), one a
  // consumer warpgroup; any further warpgroup would silently go unsynchronised. This kernel
  // gives each of its warpgroups one of the user named barriers instead (ids 8.., hardware
  // ids; the kernel uses no other user barrier, the epilogue uses id 1).
  static constexpr bool kStreamK = cute::is_same_v<TileSchedulerTag, cutlass::gemm::StreamKScheduler>;
  static_assert(kStreamK || cute::is_same_v<TileSchedulerTag, cutlass::gemm::PersistentScheduler>,
                "stream-K or static persistent scheduler");
  using FixupBarriers =
      cutlass::NamedBarrierManager<NumThreadsPerWarpGroup,
                                   uint32_t(cutlass::arch::ReservedNamedBarriers::FirstUserBarrier), NumMmaWarpGroups>;

  // Orders the mainloop's first loads before the epilogue's (as the cooperative kernel).
  using LoadWarpOrderBarrier = cutlass::OrderedSequenceBarrier<1, 2>;
  using MainloopPipeline = typename CollectiveMainloop::MainloopPipeline;
  using EpiLoadPipeline = typename CollectiveEpilogue::LoadPipeline;
  using EpiStorePipeline = typename CollectiveEpilogue::StorePipeline;

  struct SharedStorage {
    struct PipelineStorage : cute::aligned_struct<16, cute::_1> {
      alignas(16) typename CollectiveMainloop::PipelineStorage mainloop;
      alignas(16) typename CollectiveEpilogue::PipelineStorage epi_load;
      alignas(16) typename LoadWarpOrderBarrier::SharedStorage load_order;
    } pipelines;
    alignas(16) typename TileScheduler::SharedStorage scheduler;
    struct TensorStorage : cute::aligned_struct<128, cute::_1> {
      typename CollectiveEpilogue::TensorStorage epilogue;
      typename CollectiveMainloop::TensorStorage mainloop;
    } tensors;
  };
  static constexpr int SharedStorageSize = sizeof(SharedStorage);

  struct Arguments {
    GemmUniversalMode mode{};
    ProblemShape problem_shape{};
    MainloopArguments mainloop{};
    EpilogueArguments epilogue{};
    KernelHardwareInfo hw_info{};
    TileSchedulerArguments scheduler{};
  };

  struct Params {
    GemmUniversalMode mode{};
    ProblemShape problem_shape{};
    MainloopParams mainloop{};
    EpilogueParams epilogue{};
    KernelHardwareInfo hw_info{};
    TileSchedulerParams scheduler{};
    void* workspace{nullptr};
  };

  // Workspace: the epilogue's, then the scheduler's (stream-K partials and locks, one set
  // of barriers per consumer warpgroup), each aligned.
  static constexpr uint32_t NumEpilogueSubTiles = CollectiveEpilogue::get_store_pipe_increment(TileShape{});

  static size_t epilogue_workspace_bytes(Arguments const& args) {
    return round_nearest(CollectiveEpilogue::get_workspace_size(args.problem_shape, args.epilogue),
                         MinWorkspaceAlignment);
  }

  static size_t get_workspace_size(Arguments const& args) {
    return epilogue_workspace_bytes(args) +
           round_nearest(TileScheduler::template get_workspace_size<ProblemShape, ElementAccumulator>(
                             args.scheduler, args.problem_shape, args.hw_info, NumMmaWarpGroups, NumEpilogueSubTiles),
                         MinWorkspaceAlignment);
  }

  static Params to_underlying_arguments(Arguments const& args, void* workspace) {
    int sm_count = args.hw_info.sm_count;
    if (sm_count <= 0) sm_count = KernelHardwareInfo::query_device_multiprocessor_count(args.hw_info.device_id);
    KernelHardwareInfo hw_info{args.hw_info.device_id, sm_count, 0};
    uint8_t* base = static_cast<uint8_t*>(workspace);
    void* scheduler_workspace = base ? base + epilogue_workspace_bytes(args) : nullptr;
    return {args.mode,
            args.problem_shape,
            CollectiveMainloop::to_underlying_arguments(args.problem_shape, args.mainloop, nullptr),
            CollectiveEpilogue::to_underlying_arguments(args.problem_shape, args.epilogue, workspace),
            hw_info,
            TileScheduler::to_underlying_arguments(args.problem_shape, TileShape{}, ClusterShape{}, hw_info,
                                                   args.scheduler, scheduler_workspace, NumEpilogueSubTiles),
            workspace};
  }

  static bool can_implement(Arguments const& args) {
    return args.mode == GemmUniversalMode::kGemm &&
           CollectiveMainloop::can_implement(args.problem_shape, args.mainloop) &&
           CollectiveEpilogue::can_implement(args.problem_shape, args.epilogue) &&
           TileScheduler::can_implement(args.scheduler);
  }

  static cutlass::Status initialize_workspace(Arguments const& args, void* workspace = nullptr,
                                              cudaStream_t stream = nullptr, CudaHostAdapter* adapter = nullptr) {
    uint8_t* base = static_cast<uint8_t*>(workspace);
    cutlass::Status s =
        CollectiveEpilogue::initialize_workspace(args.problem_shape, args.epilogue, base, stream, adapter);
    if (s != cutlass::Status::kSuccess) return s;
    return TileScheduler::template initialize_workspace<ProblemShape, ElementAccumulator>(
        args.scheduler, base ? base + epilogue_workspace_bytes(args) : nullptr, stream, args.problem_shape,
        args.hw_info, NumMmaWarpGroups, NumEpilogueSubTiles, 1, adapter);
  }

  static dim3 get_grid_shape(Params const& params) {
    TileSchedulerArguments args{};
    if constexpr (!std::is_const_v<decltype(args.max_swizzle_size)>)
      args.max_swizzle_size = 1 << params.scheduler.log_swizzle_size_;
    args.raster_order = params.scheduler.raster_order_ == TileScheduler::RasterOrder::AlongN
                            ? TileScheduler::RasterOrderOptions::AlongN
                            : TileScheduler::RasterOrderOptions::AlongM;
    return TileScheduler::get_grid_shape(params.scheduler, params.problem_shape, TileShape{}, ClusterShape{},
                                         params.hw_info, args);
  }

  static dim3 get_block_shape() { return dim3(MaxThreadsPerBlock, 1, 1); }

  CUTLASS_DEVICE void operator()(Params const& params, char* smem_buf) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    using namespace cute;
    enum class ProducerWarp { Mainloop = 0, Epilogue = 2 };

    SharedStorage& shared = *reinterpret_cast<SharedStorage*>(smem_buf);
    const int thread_idx = int(threadIdx.x);
    const int lane_idx = canonical_lane_idx();
    const int warp_idx = canonical_warp_idx_sync();
    const int warp_group = canonical_warp_group_idx();  // 0: producer, 1..: consumers
    const int warp_group_thread_idx = thread_idx % NumThreadsPerWarpGroup;
    const int mma_thread_idx = thread_idx - int(NumThreadsPerWarpGroup);  // in the consumers
    const bool is_producer = warp_group == 0;
    const auto producer_warp = ProducerWarp(warp_idx % NumWarpsPerWarpGroup);

    if (warp_idx == 0 && cute::elect_one_sync()) {
      CollectiveMainloop::prefetch_tma_descriptors(params.mainloop);
      CollectiveEpilogue::prefetch_tma_descriptors(params.epilogue);
    }

    CollectiveEpilogue collective_epilogue(params.epilogue, shared.tensors.epilogue);
    const bool is_epi_load_needed = collective_epilogue.is_producer_load_needed();

    typename MainloopPipeline::Params mainloop_pipeline_params;
    if (is_producer && producer_warp == ProducerWarp::Mainloop)
      mainloop_pipeline_params.role = MainloopPipeline::ThreadCategory::Producer;
    if (!is_producer) mainloop_pipeline_params.role = MainloopPipeline::ThreadCategory::Consumer;
    mainloop_pipeline_params.is_leader = warp_group_thread_idx == 0;
    mainloop_pipeline_params.num_consumers = NumMMAThreads;
    mainloop_pipeline_params.num_producers = CollectiveMainloop::NumProducerThreadEvents;
    mainloop_pipeline_params.transaction_bytes = params.mainloop.tma_transaction_bytes;
    MainloopPipeline mainloop_pipeline(shared.pipelines.mainloop, mainloop_pipeline_params, ClusterShape{});

    typename EpiLoadPipeline::Params epi_load_pipeline_params;
    if (is_producer && producer_warp == ProducerWarp::Epilogue)
      epi_load_pipeline_params.role = EpiLoadPipeline::ThreadCategory::Producer;
    if (!is_producer) epi_load_pipeline_params.role = EpiLoadPipeline::ThreadCategory::Consumer;
    epi_load_pipeline_params.dst_blockid = cute::block_rank_in_cluster();
    epi_load_pipeline_params.producer_arv_count = NumEpilogueLoadThreads;
    epi_load_pipeline_params.consumer_arv_count = NumMMAThreads;
    if constexpr (CollectiveEpilogue::RequiresTransactionBytes)
      epi_load_pipeline_params.transaction_bytes = params.epilogue.tma_transaction_bytes;
    EpiLoadPipeline epi_load_pipeline(shared.pipelines.epi_load, epi_load_pipeline_params);

    typename EpiStorePipeline::Params epi_store_pipeline_params;
    epi_store_pipeline_params.always_wait = true;
    EpiStorePipeline epi_store_pipeline(epi_store_pipeline_params);

    typename LoadWarpOrderBarrier::Params load_order_params;
    load_order_params.group_id = producer_warp == ProducerWarp::Mainloop ? 0 : 1;
    load_order_params.group_size = NumThreadsPerWarp;
    LoadWarpOrderBarrier load_order_barrier(shared.pipelines.load_order, load_order_params);

    typename CollectiveMainloop::PipelineState mainloop_pipe_consumer_state;
    typename CollectiveEpilogue::LoadPipelineState epi_load_pipe_consumer_state;
    // Producers start on the opposite phase: every buffer is empty.
    PipelineState mainloop_pipe_producer_state = cutlass::make_producer_start_state<MainloopPipeline>();
    PipelineState epi_load_pipe_producer_state = cutlass::make_producer_start_state<EpiLoadPipeline>();
    PipelineState epi_store_pipe_producer_state = cutlass::make_producer_start_state<EpiStorePipeline>();

    auto problem_shape_MNKL = append<4>(params.problem_shape, Int<1>{});
    TiledMma tiled_mma;
    const auto blk_shape = TileShape{};
    TileScheduler scheduler{params.scheduler};
    CollectiveMainloop collective_mainloop;
    auto load_inputs = collective_mainloop.load_init(problem_shape_MNKL, params.mainloop);
    Tensor gA_mkl = get<0>(load_inputs);
    Tensor gB_nkl = get<1>(load_inputs);
    auto tile_coord = [&](auto const& work) {
      return make_coord(idx2crd(work.M_idx, shape<2>(gA_mkl)), idx2crd(work.N_idx, shape<2>(gB_nkl)), _,
                        idx2crd(work.L_idx, shape<4>(gB_nkl)));
    };

    __syncthreads();  // pipeline barriers initialised before anyone waits on them

    auto work_tile_info = scheduler.initial_work_tile_info(ClusterShape{});
    if (is_producer) {
      if (producer_warp == ProducerWarp::Mainloop) {
        cutlass::arch::wait_on_dependent_grids();
        bool do_load_order_arrive = true;
        while (work_tile_info.is_valid()) {
          if (TileScheduler::valid_warpgroup_in_work_tile(work_tile_info)) {
            const int k_tiles = TileScheduler::get_work_k_tile_count(work_tile_info, problem_shape_MNKL, blk_shape);
            auto k_tile_iter = cute::make_coord_iterator(
                idx2crd(TileScheduler::get_work_k_tile_start(work_tile_info), shape<3>(gA_mkl)), shape<3>(gA_mkl));
            collective_mainloop.load(params.mainloop, mainloop_pipeline, mainloop_pipe_producer_state, load_inputs,
                                     tile_coord(work_tile_info), k_tile_iter, k_tiles, lane_idx,
                                     cute::block_rank_in_cluster(), shared.tensors.mainloop);
            mainloop_pipe_producer_state.advance(k_tiles);
            if (do_load_order_arrive) {
              load_order_barrier.arrive();
              do_load_order_arrive = false;
            }
          }
          work_tile_info = get<0>(scheduler.fetch_next_work(work_tile_info));
        }
        collective_mainloop.load_tail(mainloop_pipeline, mainloop_pipe_producer_state);
      } else if (producer_warp == ProducerWarp::Epilogue && is_epi_load_needed) {
        cutlass::arch::wait_on_dependent_grids();
        if (!TileScheduler::requires_separate_reduction(params.scheduler) && work_tile_info.is_valid())
          load_order_barrier.wait();
        while (work_tile_info.is_valid()) {
          if (TileScheduler::compute_epilogue(work_tile_info, params.scheduler))
            epi_load_pipe_producer_state = collective_epilogue.load(
                epi_load_pipeline, epi_load_pipe_producer_state, problem_shape_MNKL, blk_shape,
                tile_coord(work_tile_info), tiled_mma, lane_idx, shared.tensors.epilogue,
                work_tile_info.reduction_subtile_idx());
          work_tile_info = get<0>(scheduler.fetch_next_work(work_tile_info));
        }
        collective_epilogue.load_tail(epi_load_pipeline, epi_load_pipe_producer_state);
      }
      return;
    }

    // Consumers: every warpgroup takes part in every work tile.
    const int consumer_warp_group = warp_group - int(NumLoadWarpGroups);
    bool do_store_tail = false;
    while (work_tile_info.is_valid()) {
      const auto blk_coord = tile_coord(work_tile_info);
      const int k_tiles = TileScheduler::get_work_k_tile_count(work_tile_info, problem_shape_MNKL, blk_shape);
      auto accumulators = partition_fragment_C(tiled_mma, take<0, 2>(blk_shape));  // (MMA, MMA_M, MMA_N)
      if (TileScheduler::valid_warpgroup_in_work_tile(work_tile_info)) {
        collective_mainloop.mma(mainloop_pipeline, mainloop_pipe_consumer_state, accumulators, k_tiles,
                                mma_thread_idx, shared.tensors.mainloop, params.mainloop);
        collective_mainloop.mma_tail(mainloop_pipeline, mainloop_pipe_consumer_state, k_tiles);
        mainloop_pipe_consumer_state.advance(k_tiles);
      }
      // Stream-K: partial tiles reduce through the workspace, each warpgroup its own part
      // behind its own named barrier.
      if constexpr (kStreamK)
        TileScheduler::template fixup_helper<decltype(accumulators), FixupBarriers>(
            params.scheduler, work_tile_info, accumulators, NumMmaWarpGroups, consumer_warp_group);
      if (TileScheduler::compute_epilogue(work_tile_info, params.scheduler)) {
        auto [epi_load_next, epi_store_next] = collective_epilogue.store(
            epi_load_pipeline, epi_load_pipe_consumer_state, epi_store_pipeline, epi_store_pipe_producer_state,
            problem_shape_MNKL, blk_shape, blk_coord, accumulators, tiled_mma, mma_thread_idx,
            shared.tensors.epilogue, work_tile_info.reduction_subtile_idx());
        epi_load_pipe_consumer_state = epi_load_next;
        epi_store_pipe_producer_state = epi_store_next;
        do_store_tail = true;
      }
      work_tile_info = get<0>(scheduler.fetch_next_work(work_tile_info));
    }
    if (do_store_tail)
      collective_epilogue.store_tail(epi_load_pipeline, epi_load_pipe_consumer_state, epi_store_pipeline,
                                     epi_store_pipe_producer_state);
#else
    // Built for an architecture without wgmma / TMA (the launchers never run it there).
    __trap();
#endif
  }
};

}  // namespace cutlass::gemm::kernel
