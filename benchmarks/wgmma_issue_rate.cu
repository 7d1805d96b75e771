// How fast an SM completes wgmma m64nNk16 (fp16 in, fp32 accumulate) when A comes from
// registers (RS, the W4A16 sm90a mainloop's form: dequantized weights as A) or from shared
// memory (SS), by N (the token count of the W4A16 tile), consumer warpgroups a CTA and
// independent accumulator chains a warpgroup. One CTA a SM, every SM; no data movement, no
// conversion: the instruction's own rate, against the tensor peak of N / 2 cycles a wgmma
// (4096 fp16 flop a cycle a SM).
//
//   nvcc -std=c++17 -gencode arch=compute_90a,code=sm_90a -O3 --expt-relaxed-constexpr \
//        -Iinclude -isystem <cutlass>/include -o wgmma_issue_rate benchmarks/wgmma_issue_rate.cu
//   ./wgmma_issue_rate            (prints a table; needs an sm_90 GPU)
//
// Second table: the W4A16 consumer's step order (sm90_wna16_mainloop.cuh) on the same
// instruction, adding its parts one at a time: four A register sets in turn with
// wgmma.wait_group 3 after each batch; + the int4 -> fp16 conversion of the next set
// (K64Fragment::convert) after the wait; + the next k-tile's raw bytes by LDS.128 at step 1.
#include <cstdio>
#include <vector>

#include <cuda_runtime.h>

#include <cute/arch/mma_sm90.hpp>
#include <cute/atom/mma_atom.hpp>
#include <cute/tensor.hpp>

#include <cutlass/arch/barrier.h>

#include "qgemm/gemm/k64_fragment.cuh"

using namespace cute;
using T = cutlass::half_t;

// Dynamic shared memory (unused) that leaves no room for a second CTA on an SM (228 KiB).
constexpr int kOneCtaPerSm = 120 * 1024;

template <int N, bool kRS>
using WgmmaAtom =
    cute::conditional_t<kRS, decltype(SM90::GMMA::rs_op_selector<T, T, float, Shape<_64, Int<N>, _16>>()),
                        decltype(SM90::GMMA::ss_op_selector<T, T, float, Shape<_64, Int<N>, _16>>())>;

// Thread 0 writes its CTA's clock64 span t1 - t0; the accumulators' sum joins it so that
// ptxas keeps them, and the wgmmas, alive.
template <class Acc, int kN>
__device__ void record_span(long long* cycles, long long t0, long long t1, Acc (&acc)[kN]) {
  float s = 0.f;
  for (int c = 0; c < kN; ++c)
    for (int i = 0; i < size(acc[c]); ++i) s += acc[c](i);
  if (threadIdx.x == 0) cycles[blockIdx.x] = (t1 - t0) + (s == 12345.f);
}

// Each warpgroup issues `iters` batches; a batch is one wgmma on each of its kChains
// accumulators (the same A and B), at most kDepth + 1 batches in flight.
template <int N, bool kRS, int kWgs, int kChains, int kDepth>
__global__ void __launch_bounds__(128 * kWgs, 1) wgmma_rate(long long* cycles, int iters) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using SmemA = decltype(tile_to_shape(GMMA::Layout_K_SW32_Atom<T>{}, Shape<_64, _16>{}));
  using SmemB = decltype(tile_to_shape(GMMA::Layout_K_SW32_Atom<T>{}, Shape<Int<N>, _16>{}));
  __shared__ alignas(1024) T smem_a[64 * 16];
  __shared__ alignas(1024) T smem_b[N * 16];
  for (int i = threadIdx.x; i < 64 * 16; i += blockDim.x) smem_a[i] = T(0.f);
  for (int i = threadIdx.x; i < N * 16; i += blockDim.x) smem_b[i] = T(0.f);
  __syncthreads();

  auto mma = make_tiled_mma(WgmmaAtom<N, kRS>{});
  auto thr = mma.get_thread_slice(threadIdx.x % 128);
  Tensor sA = make_tensor(make_smem_ptr(smem_a), SmemA{});
  Tensor sB = make_tensor(make_smem_ptr(smem_b), SmemB{});
  auto tCrA = thr.partition_fragment_A(sA);  // registers (RS) or descriptors (SS)
  auto tCrB = thr.make_fragment_B(thr.partition_B(sB));
  if constexpr (kRS) fill(tCrA, T(0.f));
  auto acc0 = partition_fragment_C(mma, Shape<_64, Int<N>>{});
  using Acc = decltype(acc0);
  Acc acc[kChains];
  for (int c = 0; c < kChains; ++c) clear(acc[c]);

  // Fenced, so ptxas does not serialize the wgmmas on the accumulators cleared above (C7515).
  for (int c = 0; c < kChains; ++c) warpgroup_fence_operand(acc[c]);
  __syncthreads();
  const long long t0 = clock64();
  for (int i = 0; i < iters; ++i) {
    warpgroup_arrive();
    CUTE_UNROLL
    for (int c = 0; c < kChains; ++c) cute::gemm(mma, tCrA, tCrB, acc[c]);
    warpgroup_commit_batch();
    warpgroup_wait<kDepth>();
  }
  warpgroup_wait<0>();
  for (int c = 0; c < kChains; ++c) warpgroup_fence_operand(acc[c]);
  __syncthreads();
  record_span(cycles, t0, clock64(), acc);
#endif
}

// The mainloop's consumer step order: per k-tile, 4 k16 steps; step j issues set j of each
// of the warpgroup's kBlocks weight blocks, waits until at most 4 - kAhead batches are
// pending, then (kConvert) converts set j + kAhead from the raw words, (kLds) after step
// 2 - kAhead reads the next k-tile's raw words and group scales from shared memory (and, as
// the real consumer's pipeline does, polls a full barrier at step 0 and arrives on an empty
// barrier at step 3). Raw words and scales differ per thread, block and k-tile (from shared
// memory, or xor-ed with the k-tile index), so ptxas can neither merge the blocks'
// conversions nor hoist them out of the loop. B alternates between kBStages stages.
template <int N, int kWgs, int kBlocks, bool kConvert, bool kLds, int kAhead = 1>
__global__ void __launch_bounds__(128 * kWgs, 1) mainloop_rate(long long* cycles, int k_tiles) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Frag = qgemm::K64Fragment<__half, qgemm::WeightKind::kInt4>;
  constexpr int kBStages = N <= 64 ? 2 : 1;  // static shared memory stays under 48 KiB
  using SmemA = decltype(tile_to_shape(GMMA::Layout_K_SW32_Atom<T>{}, Shape<_64, _64>{}));
  using SmemB = decltype(tile_to_shape(GMMA::Layout_K_SW128_Atom<T>{}, Shape<Int<N>, _64, Int<kBStages>>{}));
  __shared__ alignas(1024) T smem_b[N * 64 * kBStages];
  __shared__ alignas(16) uint8_t smem_raw[2][kBlocks][2048];
  __shared__ alignas(16) uint16_t smem_s[2][kBlocks][64];
  __shared__ alignas(8) uint64_t bars[2];  // [0]: a full barrier whose phase 0 completed; [1]: never completes
  for (int i = threadIdx.x; i < N * 64 * kBStages; i += blockDim.x) smem_b[i] = T(0.f);
  for (int i = threadIdx.x; i < 2 * kBlocks * 2048; i += blockDim.x) (&smem_raw[0][0][0])[i] = uint8_t(i * 7);
  for (int i = threadIdx.x; i < 2 * kBlocks * 64; i += blockDim.x) (&smem_s[0][0][0])[i] = 0x3c00 + (i & 7);
  if (threadIdx.x == 0) {
    cutlass::arch::ClusterBarrier::init(&bars[0], 1);
    cutlass::arch::ClusterBarrier::init(&bars[1], (1 << 20) - 1);
  }
  cutlass::arch::fence_barrier_init();
  __syncthreads();
  if (threadIdx.x == 0) cutlass::arch::ClusterBarrier::arrive(&bars[0]);
  __syncthreads();

  auto mma = make_tiled_mma(WgmmaAtom<N, true>{});
  const int tid = threadIdx.x % 128;
  auto thr = mma.get_thread_slice(tid);
  Tensor sB = make_tensor(make_smem_ptr(smem_b), SmemB{});
  auto tCrB = thr.make_fragment_B(thr.partition_B(sB));  // (MMA, MMA_N, 4, kBStages) descriptors
  using FragA = decltype(thr.partition_fragment_A(make_tensor(make_smem_ptr(smem_b), SmemA{})));  // (8, 1, 4)
  FragA a[kBlocks];
  Frag::Raw raw[kBlocks], next[kBlocks];
  auto acc0 = partition_fragment_C(mma, Shape<_64, Int<N>>{});
  decltype(acc0) acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) {
    clear(acc[b]);
    fill(a[b], T(0.f));
    for (int w = 0; w < 4; ++w) raw[b].w[w] = next[b].w[w] = (threadIdx.x * 0x9E3779B9u) ^ (b * 0x85EBCA6Bu) ^ w;
    raw[b].s[0] = raw[b].s[1] = next[b].s[0] = next[b].s[1] = 0x3c003c00u + (threadIdx.x & 7);
  }
  auto convert = [&](int j) {
    CUTE_UNROLL
    for (int b = 0; b < kBlocks; ++b) Frag::convert(raw[b], j, recast<uint32_t>(a[b])(_, 0, j));
  };

  for (int b = 0; b < kBlocks; ++b) warpgroup_fence_operand(acc[b]);
  __syncthreads();
  const long long t0 = clock64();
  for (int t = 0; t < k_tiles; ++t) {
    if constexpr (!kLds) {  // new raw words every k-tile (one LOP3 a word: 1/8 of the conversion's)
      CUTE_UNROLL
      for (int b = 0; b < kBlocks; ++b) {
        CUTE_UNROLL
        for (int w = 0; w < 4; ++w) raw[b].w[w] ^= uint32_t(t);
      }
    }
    const int stage = t % kBStages;
    warpgroup_fence_operand(acc[0]);
    CUTE_UNROLL
    for (int j = 0; j < 4; ++j) {
      warpgroup_arrive();
      CUTE_UNROLL
      for (int b = 0; b < kBlocks; ++b) cute::gemm(mma, a[b](_, _, j), tCrB(_, _, j, stage), acc[b]);
      warpgroup_commit_batch();
      warpgroup_wait<4 - kAhead>();
      if constexpr (kLds) {
        if (j == 0) cutlass::arch::ClusterBarrier::wait(&bars[0], 0);  // the next stage is full
        if (j == 2 - kAhead) {
          CUTE_UNROLL
          for (int b = 0; b < kBlocks; ++b) {
            Frag::set_chunk(next[b], 0, *reinterpret_cast<const uint4*>(&smem_raw[t & 1][b][Frag::chunk_offset(tid, 0)]));
            Frag::set_group(next[b], smem_s[t & 1][b], smem_s[t & 1][b], tid);
          }
        }
        if (j == 3 && tid == 0) cutlass::arch::ClusterBarrier::arrive(&bars[1]);  // release the stage
        if (j == 4 - kAhead) {
          CUTE_UNROLL
          for (int b = 0; b < kBlocks; ++b) raw[b] = next[b];
        }
      }
      if constexpr (kConvert) convert((j + kAhead) % 4);
    }
    warpgroup_fence_operand(acc[0]);
  }
  warpgroup_wait<0>();
  __syncthreads();
  record_span(cycles, t0, clock64(), acc);
#endif
}

// Launches kernel(cycles, iters) on every SM (one CTA each, a warm-up first) and returns the
// mean of the CTAs' clock64 spans divided by `wgmmas` (wgmmas a CTA), or a negative value
// after printing the CUDA error.
template <class Kernel>
double cycles_per_wgmma(Kernel kernel, int threads, int iters, double wgmmas, int sms) {
  long long* d = nullptr;
  cudaMalloc(&d, sms * sizeof(long long));
  cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kOneCtaPerSm);
  kernel<<<sms, threads, kOneCtaPerSm>>>(d, 16);
  kernel<<<sms, threads, kOneCtaPerSm>>>(d, iters);
  std::vector<long long> h(sms);
  cudaMemcpy(h.data(), d, sms * sizeof(long long), cudaMemcpyDeviceToHost);
  const cudaError_t e = cudaGetLastError();
  cudaFree(d);
  if (e != cudaSuccess) {
    std::printf("  %s\n", cudaGetErrorString(e));
    return -1;
  }
  double mean = 0;
  for (long long c : h) mean += double(c) / sms;
  return mean / wgmmas;
}

template <int N, int kWgs, int kBlocks, bool kConvert, bool kLds, int kAhead = 1>
void run_mainloop(int sms) {
  constexpr int kTiles = 1024;
  const double c = cycles_per_wgmma(mainloop_rate<N, kWgs, kBlocks, kConvert, kLds, kAhead>, 128 * kWgs, kTiles,
                                    double(kTiles) * 4 * kWgs * kBlocks, sms);
  std::printf("mainloop RS N=%3d  wgs=%d  blocks=%d  convert=%d  lds=%d  ahead=%d  %6.1f cycles a wgmma a SM  (peak %3d: %5.1f %%)\n",
              N, kWgs, kBlocks, int(kConvert), int(kLds), kAhead, c, N / 2, 100.0 * (N / 2) / c);
}

template <int N, int kWgs, int kBlocks>
void mainloop_sweep(int sms) {
  run_mainloop<N, kWgs, kBlocks, false, false>(sms);
  run_mainloop<N, kWgs, kBlocks, true, false>(sms);
  run_mainloop<N, kWgs, kBlocks, true, true>(sms);
  run_mainloop<N, kWgs, kBlocks, true, true, 2>(sms);
}

template <int N, bool kRS, int kWgs, int kChains, int kDepth = 1>
void run(int sms) {
  constexpr int kIters = 4096;
  const double c = cycles_per_wgmma(wgmma_rate<N, kRS, kWgs, kChains, kDepth>, 128 * kWgs, kIters,
                                    double(kIters) * kWgs * kChains, sms);
  std::printf("%s  N=%3d  wgs=%d  chains=%d  depth=%d  %6.1f cycles a wgmma a SM  (peak %3d: %5.1f %%)\n",
              kRS ? "RS" : "SS", N, kWgs, kChains, kDepth, c, N / 2, 100.0 * (N / 2) / c);
}

template <int N, bool kRS>
void sweep(int sms) {
  run<N, kRS, 1, 1>(sms);
  if constexpr (N <= 128) run<N, kRS, 1, 2>(sms);  // 256 accumulators a thread spill
  run<N, kRS, 2, 1>(sms);
  if constexpr (N <= 128) run<N, kRS, 2, 2>(sms);
  if constexpr (N <= 128) run<N, kRS, 4, 1>(sms);
  if constexpr (N <= 64) run<N, kRS, 4, 2>(sms);
  run<N, kRS, 2, 1, 3>(sms);
}

int main() {
  int dev = 0, sms = 0, major = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  if (major != 9) {
    std::printf("needs an sm_90 GPU\n");
    return 0;
  }
  cudaDeviceProp p;
  cudaGetDeviceProperties(&p, dev);
  std::printf("%s, %d SMs\n", p.name, sms);
  mainloop_sweep<64, 2, 2>(sms);   // 256 x 64 (row 1)
  mainloop_sweep<64, 4, 1>(sms);   // 256 x 64 on four consumer warpgroups (6ab3110, reverted)
  mainloop_sweep<32, 2, 2>(sms);   // 256 x 32 (row 0)
  mainloop_sweep<128, 2, 2>(sms);  // 256 x 128 (row 2)
  mainloop_sweep<256, 2, 1>(sms);  // 128 x 256 (row 4)
  sweep<32, true>(sms);
  sweep<32, false>(sms);
  sweep<64, true>(sms);
  sweep<64, false>(sms);
  sweep<128, true>(sms);
  sweep<128, false>(sms);
  sweep<256, true>(sms);
  sweep<256, false>(sms);
  return 0;
}
