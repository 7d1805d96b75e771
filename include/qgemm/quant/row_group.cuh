// How the quantization kernels spread rows over threads, hold a row, and reduce over it.
//
// A row group is the threads of one row: either one warp (blockDim = (32, R): R rows per
// CTA, for short rows) or the whole CTA (blockDim = (T, 1), T a multiple of 32). Row
// groups take rows in a grid-stride loop, so any M fits any grid. The chunks of a row
// (8 elements each, quant_math.cuh) go round-robin over the group's threads: chunk
// c = threadIdx.x + i * blockDim.x is the thread's i-th.
//
// A row is held either in registers (RegisterRow: kVpt chunks per thread, loaded once, so
// x is read from global memory once) or re-read from global memory, normally from L2, on
// every pass (StreamedRow: rows too long for registers). Both offer for_each(f), calling
// f(c, v[8]) for each of the thread's chunks, always in the same order; v is a copy.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#include "qgemm/dependent_launch.cuh"
#include "qgemm/quant/quant_math.cuh"

namespace qgemm::quant {

__device__ __forceinline__ int64_t first_row() { return int64_t(blockIdx.x) * blockDim.y + threadIdx.y; }
__device__ __forceinline__ int64_t row_step() { return int64_t(gridDim.x) * blockDim.y; }

// The row in registers in its own type T (4 registers a chunk for 16-bit T, 8 for
// float), converted to float32 (exactly) on every pass.
template <class T, int kVpt>
struct RegisterRow {
  static_assert(kVpt > 0, "kVpt chunks per thread");
  RawChunk<T> raw[kVpt];
  int nchunks;

  // Chunk c of the row at `row` (global memory).
  __device__ __forceinline__ void load(const T* row, int K, bool vec) {
#pragma unroll
    for (int i = 0; i < kVpt; ++i) {
      const int c = int(threadIdx.x) + i * int(blockDim.x);
      if (c < nchunks) load_chunk_raw(row, c, K, vec, raw[i]);
    }
  }

  // f(c, v) writes chunk c as floats v, each exactly representable in T.
  template <class F>
  __device__ __forceinline__ void fill(F&& f) {
#pragma unroll
    for (int i = 0; i < kVpt; ++i) {
      const int c = int(threadIdx.x) + i * int(blockDim.x);
      if (c < nchunks) {
        float v[kChunk];
        f(c, v);
        floats_to_raw<T>(v, raw[i]);
      }
    }
  }

  template <class F>
  __device__ __forceinline__ void for_each(F&& f) {
#pragma unroll
    for (int i = 0; i < kVpt; ++i) {
      const int c = int(threadIdx.x) + i * int(blockDim.x);
      if (c < nchunks) {
        float v[kChunk];
        raw_to_floats<T>(raw[i], v);
        f(c, v);
      }
    }
  }
};

// A row seen through map(c, v), applied to each chunk before f (the fused kernel's norm).
template <class Row, class Map>
struct MappedRow {
  Row& row;
  Map map;
  template <class F>
  __device__ __forceinline__ void for_each(F&& f) {
    row.for_each([&](int c, float(&v)[kChunk]) {
      map(c, v);
      f(c, v);
    });
  }
};

template <class Row, class Map>
__device__ __forceinline__ MappedRow<Row, Map> mapped_row(Row& row, Map map) {
  return MappedRow<Row, Map>{row, map};
}

// Load(c, v) produces chunk c of the row (a load, and for the fused kernel the norm).
template <class Load>
struct StreamedRow {
  Load load;
  int nchunks;

  template <class F>
  __device__ __forceinline__ void for_each(F&& f) {
    for (int c = threadIdx.x; c < nchunks; c += blockDim.x) {
      float v[kChunk];
      load(c, v);
      f(c, v);
    }
  }
};

template <class Load>
__device__ __forceinline__ StreamedRow<Load> streamed_row(Load load, int nchunks) {
  return StreamedRow<Load>{load, nchunks};
}

struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// Reduces v[0..N) over the row group; every thread of the group gets the results. Called
// by all threads of the group (a CTA-wide group: all threads of the CTA, in step). The
// order is fixed (butterfly in the warp, then warps 0, 1, ... in turn): a sum comes out
// the same on every run with the same launch shape.
template <int N, class Op>
__device__ __forceinline__ void row_reduce(float (&v)[N], Op op) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v[i] = op(v[i], __shfl_xor_sync(0xffffffffu, v[i], off));
  if (blockDim.x <= 32) return;  // one warp per row
  __shared__ float partial[N][32];
  const int warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  if ((threadIdx.x & 31) == 0) {
#pragma unroll
    for (int i = 0; i < N; ++i) partial[i][warp] = v[i];
  }
  __syncthreads();
#pragma unroll
  for (int i = 0; i < N; ++i) {
    float r = partial[i][0];
    for (int w = 1; w < nwarps; ++w) r = op(r, partial[i][w]);
    v[i] = r;
  }
  __syncthreads();  // partial is free again for the next row
}

}  // namespace qgemm::quant
