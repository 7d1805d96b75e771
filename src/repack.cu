// GPU repack: canonical codes [N, K] (one per byte) -> kernel formats, with the same
// layout functions the host packers use. One thread per output word (tiled formats)
// or per lane of a tile (tc-fpx). Memory-bound; see benchmarks for the 7B figure.
#include <cuda_runtime.h>

#include "ops.hpp"
#include "qgemm/layout/tc_fpx.hpp"
#include "qgemm/status.hpp"
#include "tiled_formats.hpp"

namespace qgemm::ops {
namespace {

template <class Format>
__global__ void pack_tiled_kernel(const uint8_t* __restrict__ codes, int64_t N, int64_t K,
                                  uint32_t xor_mask, uint32_t* __restrict__ packed) {
  const int64_t words = Format::num_words(N, K);
  for (int64_t w = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; w < words;
       w += int64_t(gridDim.x) * blockDim.x)
    packed[w] = Format::pack_word(codes, N, K, w, xor_mask);
}

// Checkpoint packings read in place (format docs: python/qgemm/formats/).
struct AwqCodes {  // qweight int32 [K, N/8]; nibble i holds column 8c + [0,2,4,6,1,3,5,7][i]
  const uint32_t* qweight;
  int64_t N;
  __device__ uint32_t operator()(int64_t n, int64_t k) const {
    const int j = int(n % 8), nibble = (j % 2) * 4 + j / 2;
    return (qweight[k * (N / 8) + n / 8] >> (4 * nibble)) & 0xFu;
  }
};

struct GptqCodes {  // qweight int32 [K/8, N]; k = 8r + j at bits 4j of row r; act-order perm
  const uint32_t* qweight;
  const int64_t* perm;  // nullable: column k of the result is input channel perm[k]
  int64_t N;
  __device__ uint32_t operator()(int64_t n, int64_t k) const {
    const int64_t kin = perm ? perm[k] : k;
    return (qweight[(kin / 8) * N + n] >> (4 * (kin % 8))) & 0xFu;
  }
};

template <class Format, class CodeOf>
__global__ void pack_tiled_from_kernel(CodeOf code, int64_t N, int64_t K, uint32_t* __restrict__ packed) {
  const int64_t words = Format::num_words(N, K);
  for (int64_t w = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; w < words;
       w += int64_t(gridDim.x) * blockDim.x)
    packed[w] = Format::pack_word_from(code, N, w);
}

__global__ void pack_tc_fpx_kernel(const uint8_t* __restrict__ codes, int64_t N, int64_t K,
                                   int nbits, uint8_t* __restrict__ packed) {
  using layout::TcFpx;
  const int64_t lanes = N * K / (TcFpx::kTileN * TcFpx::kTileK) * TcFpx::kLanes;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < lanes;
       i += int64_t(gridDim.x) * blockDim.x)
    TcFpx::pack_lane(codes, N, K, nbits, i / TcFpx::kLanes, int(i % TcFpx::kLanes), packed);
}

int grid_for(int64_t items, int threads) {
  const int64_t blocks = (items + threads - 1) / threads;
  return int(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

int launch_status() {
  return int(cudaGetLastError() == cudaSuccess ? Status::kSuccess : Status::kCudaError);
}

}  // namespace

int pack_tiled_cuda(TiledFormat f, const uint8_t* codes, int64_t N, int64_t K, uint32_t xor_mask,
                    uint32_t* packed, uintptr_t stream) {
  auto s = reinterpret_cast<cudaStream_t>(stream);
  constexpr int kThreads = 256;
  visit_tiled_format(f, [&](auto fmt) {
    using F = decltype(fmt);
    pack_tiled_kernel<F><<<grid_for(F::num_words(N, K), kThreads), kThreads, 0, s>>>(
        codes, N, K, xor_mask, packed);
  });
  return launch_status();
}

int pack_int4_from_awq_cuda(const int32_t* qweight, int64_t N, int64_t K, uint32_t* packed,
                            uintptr_t stream) {
  using F = layout::Int4Fragment;
  constexpr int kThreads = 256;
  AwqCodes code{reinterpret_cast<const uint32_t*>(qweight), N};
  pack_tiled_from_kernel<F><<<grid_for(F::num_words(N, K), kThreads), kThreads, 0,
                              reinterpret_cast<cudaStream_t>(stream)>>>(code, N, K, packed);
  return launch_status();
}

int pack_int4_from_gptq_cuda(const int32_t* qweight, const int64_t* perm, int64_t N, int64_t K,
                             uint32_t* packed, uintptr_t stream) {
  using F = layout::Int4Fragment;
  constexpr int kThreads = 256;
  GptqCodes code{reinterpret_cast<const uint32_t*>(qweight), perm, N};
  pack_tiled_from_kernel<F><<<grid_for(F::num_words(N, K), kThreads), kThreads, 0,
                              reinterpret_cast<cudaStream_t>(stream)>>>(code, N, K, packed);
  return launch_status();
}

int pack_tc_fpx_cuda(const uint8_t* codes, int64_t N, int64_t K, int nbits, uint8_t* packed,
                     uintptr_t stream) {
  using layout::TcFpx;
  if (!TcFpx::supported(nbits)) return int(Status::kInvalidArgument);
  constexpr int kThreads = 128;
  const int64_t lanes = N * K / (TcFpx::kTileN * TcFpx::kTileK) * TcFpx::kLanes;
  pack_tc_fpx_kernel<<<grid_for(lanes, kThreads), kThreads, 0,
                       reinterpret_cast<cudaStream_t>(stream)>>>(codes, N, K, nbits, packed);
  return launch_status();
}

}  // namespace qgemm::ops
