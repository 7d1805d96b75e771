// One thread's share of a k64 weight block (int4_k64 / int8_k64) and its conversion to the
// 16-bit A registers of a k16 step, for the sm90a RS-wgmma mainloop (thread tid of a
// consumer warpgroup; registers p = rm + 2 rk). The sm80 kernel reads the same blocks with
// the weights as the mma.sync B operand (sm80_wna16_mainloop.cuh, k64 tiling).
//
// Dequantization is (u - z) * s in the 16-bit type after an exact magic-number conversion
// (numeric/int_to_float.cuh), as the sm80 kernel does: both kernels feed the tensor cores
// bit-identical weights.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/int8_k64.hpp"
#include "qgemm/numeric/int_to_float.cuh"

namespace qgemm {

// T: __half or __nv_bfloat16.
template <class T, WeightKind kKind>
struct K64Fragment {
  static constexpr bool kInt8 = kKind == WeightKind::kInt8;
  static constexpr bool kHasZeros = kKind == WeightKind::kUint4;
  using Format = std::conditional_t<kInt8, layout::Int8K64, layout::Int4K64>;
  static constexpr int kWords = Format::kWordsPerTile / 128;  // per thread per block: 4 or 8
  static constexpr int kChunks = kWords / 4;                  // 16-byte loads per thread per block

  // Byte offset in a block of 16-byte chunk h of thread tid (0..127): a warp reads 512
  // contiguous bytes per chunk (int8_k64: steps 0, 1 at 1024 q + 16 t, steps 2, 3 512 on).
  __host__ __device__ static constexpr int chunk_offset(int tid, int h) {
    return kInt8 ? 1024 * (tid / 32) + 512 * h + 16 * (tid % 32) : 16 * tid;
  }
  // Block row of the thread's A values (and that + 8).
  __host__ __device__ static constexpr int row(int tid) { return 16 * (tid / 32) + (tid % 32) / 4; }

  struct Raw {
    uint32_t w[kWords];             // int4: word j = k16 step j; int8: words 2 j, 2 j + 1
    uint32_t s[2];                  // scale of rows +0 / +8, both halves
    uint32_t z[kHasZeros ? 2 : 1];  // zero of rows +0 / +8 (uint4)
  };

  __device__ __forceinline__ static void set_chunk(Raw& r, int h, uint4 v) {
    r.w[4 * h + 0] = v.x;
    r.w[4 * h + 1] = v.y;
    r.w[4 * h + 2] = v.z;
    r.w[4 * h + 3] = v.w;
  }
  // s, z: the group's scale (zero) row, indexed by block row; z unused unless uint4.
  __device__ __forceinline__ static void set_group(Raw& r, const uint16_t* s, const uint16_t* z, int tid) {
    const int n = row(tid);
    r.s[0] = numeric::dup16(s[n]);
    r.s[1] = numeric::dup16(s[n + 8]);
    if constexpr (kHasZeros) {
      r.z[0] = numeric::dup16(z[n]);
      r.z[1] = numeric::dup16(z[n + 8]);
    }
  }

  // k16 step j of raw -> A registers a[0..3] (register p = rm + 2 rk: row half rm = p & 1).
  // kScaled false: (u - z) only, the scale applied by the caller elsewhere (the sm90
  // kernel's per-channel epilogue); r.s is then not read.
  template <bool kScaled = true, class FragU32>
  __device__ __forceinline__ static void convert(Raw const& r, int j, FragU32&& a) {
    using P = numeric::Pair<T>;
    uint32_t v[4];
    if constexpr (kInt8) {  // word 2 j + rk: registers 2 rk (bytes 0, 1) and 2 rk + 1 (bytes 2, 3)
      numeric::U8x4<T, 128>::convert(r.w[2 * j], reinterpret_cast<uint32_t(&)[2]>(v[0]));
      numeric::U8x4<T, 128>::convert(r.w[2 * j + 1], reinterpret_cast<uint32_t(&)[2]>(v[2]));
    } else {
      numeric::U4x8<T, kKind == WeightKind::kInt4 ? 8 : 0>::convert(r.w[j], v);
    }
#pragma unroll
    for (int p = 0; p < 4; ++p) {
      uint32_t x = v[p];
      if constexpr (kHasZeros) x = P::sub(x, r.z[p & 1]);
      if constexpr (kScaled) x = P::mul(x, r.s[p & 1]);
      a(p) = x;
    }
  }
};

}  // namespace qgemm
