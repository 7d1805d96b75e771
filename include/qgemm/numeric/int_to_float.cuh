// Register-level conversions from packed integer weight codes to fp16x2 / bf16x2 pairs.
//
// The inputs are words of the qgemm kernel weight formats (include/qgemm/layout/):
//   int4 / uint4: one uint32 holds 8 codes; pair p (p = 0..3) is (nibble p, nibble p+4),
//                 nibble p in the low 16 bits (smaller k), nibble p+4 in the high 16 bits.
//                 Pairs 0,1 are b-registers 0,1 of one n8 block, pairs 2,3 of the next one.
//   int8:         one uint32 holds 4 codes; pair 0 = bytes (0,1), pair 1 = bytes (2,3).
// Each output pair is a uint32 holding two 16-bit values (low half = smaller k), exactly
// what mma.sync m16n8k16 takes as one B register.
//
// All conversions avoid integer->float instructions: the code is OR-ed / permuted into the
// mantissa of a float whose exponent makes one mantissa unit equal to 1 ("magic number"),
// and the magic value (plus a constant zero point) is then subtracted in float, exactly.
//
// kZero is a constant zero point folded into that subtraction for free: 8 for int4
// (u = q + 8), 128 for int8 (u = q + 128), 0 for uint4 (whose per-group zero is
// subtracted afterwards by the caller, in the 16-bit type).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace qgemm {
namespace numeric {

// d = (a & b) | c : immLut = (0xF0 & 0xCC) | 0xAA.
__device__ __forceinline__ uint32_t lop3_and_or(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t d;
  asm("lop3.b32 %0, %1, %2, %3, 0xEA;\n" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

// Byte permute: bytes 0..3 come from a, 4..7 from b; selector nibble i picks result byte i.
__device__ __forceinline__ uint32_t prmt(uint32_t a, uint32_t b, uint32_t sel) {
  uint32_t d;
  asm("prmt.b32 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(b), "r"(sel));
  return d;
}

// 16-bit pair arithmetic on raw registers. T is __half or __nv_bfloat16.
template <typename T> struct Pair;

template <> struct Pair<__half> {
  using T2 = __half2;
  __device__ __forceinline__ static T2 h(uint32_t v) { return *reinterpret_cast<T2*>(&v); }
  __device__ __forceinline__ static uint32_t u(T2 v) { return *reinterpret_cast<uint32_t*>(&v); }
  __device__ __forceinline__ static uint32_t sub(uint32_t a, uint32_t b) { return u(__hsub2(h(a), h(b))); }
  __device__ __forceinline__ static uint32_t mul(uint32_t a, uint32_t b) { return u(__hmul2(h(a), h(b))); }
  __device__ __forceinline__ static uint32_t fma(uint32_t a, uint32_t b, uint32_t c) {
    return u(__hfma2(h(a), h(b), h(c)));
  }
  // Two floats -> one pair, lo in the low half.
  __device__ __forceinline__ static uint32_t pack(float lo, float hi) { return u(__floats2half2_rn(lo, hi)); }
};

template <> struct Pair<__nv_bfloat16> {
  using T2 = __nv_bfloat162;
  __device__ __forceinline__ static T2 h(uint32_t v) { return *reinterpret_cast<T2*>(&v); }
  __device__ __forceinline__ static uint32_t u(T2 v) { return *reinterpret_cast<uint32_t*>(&v); }
  // On sm_80 these lower to fma.rn.bf16x2 (with -1 / -0), native sub/mul on sm_90.
  __device__ __forceinline__ static uint32_t sub(uint32_t a, uint32_t b) { return u(__hsub2(h(a), h(b))); }
  __device__ __forceinline__ static uint32_t mul(uint32_t a, uint32_t b) { return u(__hmul2(h(a), h(b))); }
  __device__ __forceinline__ static uint32_t fma(uint32_t a, uint32_t b, uint32_t c) {
    return u(__hfma2(h(a), h(b), h(c)));
  }
  __device__ __forceinline__ static uint32_t pack(float lo, float hi) { return u(__floats2bfloat162_rn(lo, hi)); }
};

// Broadcast one 16-bit value (in the low half of v) to both halves.
__device__ __forceinline__ uint32_t dup16(uint32_t v) { return prmt(v, v, 0x1010u); }

// ---------------------------------------------------------------------------------------
// 8 x 4-bit codes -> 4 pairs, values (u - kZero), exact.
// ---------------------------------------------------------------------------------------
template <typename T, int kZero> struct U4x8;

template <int kZero> struct U4x8<__half, kZero> {
  static_assert(kZero >= 0 && kZero < 64, "zero point folded into fp16 constants must be < 64");
  // fp16 0x6400 = 1024.0 with exponent 10: one mantissa unit = 1, so 0x6400 | u = 1024 + u
  // (u < 1024). OR-ing a nibble into bits 4..7 instead gives 1024 + 16u.
  static constexpr uint32_t kMagic = 0x64006400u;
  // 1024 + kZero in fp16 is 0x6400 + kZero (mantissa unit 1).
  static constexpr uint32_t kSubLo = (0x6400u + kZero) * 0x10001u;
  // 1/16 in fp16 = 0x2C00; (1024 + 16u)/16 = 64 + u exactly, then add -(64 + kZero):
  // fp16 64 = 0x5400 with mantissa unit 1/16, so -(64 + kZero) = 0xD400 + 16 * kZero.
  static constexpr uint32_t kInv16 = 0x2C002C00u;
  static constexpr uint32_t kNegHi = (0xD400u + 16u * kZero) * 0x10001u;

  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[4]) {
    using P = Pair<__half>;
    const uint32_t q8 = q >> 8;  // nibbles 2,3 / 6,7 move to the positions of 0,1 / 4,5
    const uint32_t h0 = lop3_and_or(q, 0x000f000fu, kMagic);   // 1024 + u(nibbles 0,4)
    const uint32_t h1 = lop3_and_or(q, 0x00f000f0u, kMagic);   // 1024 + 16 u(nibbles 1,5)
    const uint32_t h2 = lop3_and_or(q8, 0x000f000fu, kMagic);  // 1024 + u(nibbles 2,6)
    const uint32_t h3 = lop3_and_or(q8, 0x00f000f0u, kMagic);  // 1024 + 16 u(nibbles 3,7)
    p[0] = P::sub(h0, kSubLo);
    p[1] = P::fma(h1, kInv16, kNegHi);
    p[2] = P::sub(h2, kSubLo);
    p[3] = P::fma(h3, kInv16, kNegHi);
  }
};

template <int kZero> struct U4x8<__nv_bfloat16, kZero> {
  static_assert(kZero >= 0 && kZero < 128, "zero point folded into bf16 constants must be < 128");
  // bf16 0x4300 = 128.0 with exponent 7 and 7 mantissa bits: one mantissa unit = 1, so
  // 0x4300 | u = 128 + u (u < 128). bf16 has too few mantissa bits for the 16u trick, so each
  // pair is shifted down to bits 0..3 instead.
  static constexpr uint32_t kMagic = 0x43004300u;
  static constexpr uint32_t kSub = (0x4300u + kZero) * 0x10001u;  // 128 + kZero

  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[4]) {
    using P = Pair<__nv_bfloat16>;
    const uint32_t h0 = lop3_and_or(q, 0x000f000fu, kMagic);
    const uint32_t h1 = lop3_and_or(q >> 4, 0x000f000fu, kMagic);
    const uint32_t h2 = lop3_and_or(q >> 8, 0x000f000fu, kMagic);
    const uint32_t h3 = lop3_and_or(q >> 12, 0x000f000fu, kMagic);
    p[0] = P::sub(h0, kSub);
    p[1] = P::sub(h1, kSub);
    p[2] = P::sub(h2, kSub);
    p[3] = P::sub(h3, kSub);
  }
};

// ---------------------------------------------------------------------------------------
// 8 x 4-bit codes -> 4 pairs holding kBias + u (pairs 0, 2) / kBias + kMultOdd * u (1, 3), exact, without the
// subtraction: for a kernel that takes the bias (and the zero point) off its fp32 sums
// instead, as kBias * sum(x) (k64_decode_kernel.cuh). One LOP3 a pair (fp16), plus a shift
// for every pair but the first (bf16).
// ---------------------------------------------------------------------------------------
template <typename T> struct U4x8Biased;

template <> struct U4x8Biased<__half> {
  // Pairs 0, 2: 1024 + u (nibble OR-ed into bits 0..3 of 0x6400); pairs 1, 3: 1024 + 16 u
  // (bits 4..7, the same trick as U4x8 without its 1/16 multiply).
  static constexpr float kBias = 1024.f;
  static constexpr float kMultOdd = 16.f;
  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[4]) {
    const uint32_t q8 = q >> 8;
    p[0] = lop3_and_or(q, 0x000f000fu, 0x64006400u);
    p[1] = lop3_and_or(q, 0x00f000f0u, 0x64006400u);
    p[2] = lop3_and_or(q8, 0x000f000fu, 0x64006400u);
    p[3] = lop3_and_or(q8, 0x00f000f0u, 0x64006400u);
  }
};

template <> struct U4x8Biased<__nv_bfloat16> {
  // Every pair 128 + u (0x4300 | u; bf16 has no room for 16 u).
  static constexpr float kBias = 128.f;
  static constexpr float kMultOdd = 1.f;
  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[4]) {
    p[0] = lop3_and_or(q, 0x000f000fu, 0x43004300u);
    p[1] = lop3_and_or(q >> 4, 0x000f000fu, 0x43004300u);
    p[2] = lop3_and_or(q >> 8, 0x000f000fu, 0x43004300u);
    p[3] = lop3_and_or(q >> 12, 0x000f000fu, 0x43004300u);
  }
};

// ---------------------------------------------------------------------------------------
// 4 x 8-bit codes -> 2 pairs, values (u - kZero), exact.
// ---------------------------------------------------------------------------------------
template <typename T, int kZero> struct U8x4;

template <int kZero> struct U8x4<__half, kZero> {
  static_assert(kZero >= 0 && kZero < 1024, "");
  // prmt places code byte i under the byte 0x64: fp16 0x64uu = 1024 + u (mantissa unit 1,
  // u < 256 < 1024), for two codes at once: selector 0x4140 -> (byte0, 0x64, byte1, 0x64).
  static constexpr uint32_t kSub = (0x6400u + kZero) * 0x10001u;  // 1024 + kZero

  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[2]) {
    using P = Pair<__half>;
    p[0] = P::sub(prmt(q, 0x64646464u, 0x4140u), kSub);
    p[1] = P::sub(prmt(q, 0x64646464u, 0x4342u), kSub);
  }
};

template <int kZero> struct U8x4<__nv_bfloat16, kZero> {
  // bf16 cannot hold 128 + u for u >= 128, so go through fp32: 0x4B000000 = 2^23, whose
  // mantissa unit is 1; placing byte i in the low mantissa byte gives 2^23 + u exactly
  // (selector nibbles: byte i, then b bytes 0,1 (= 0x00) and b byte 3 (= 0x4B)).
  // Subtracting 2^23 + kZero is exact, and cvt.rn to bf16 is exact for |v| <= 256.
  __device__ __forceinline__ static float byte_to_f32(uint32_t q, uint32_t i) {
    return __uint_as_float(prmt(q, 0x4B000000u, 0x7540u | i)) - (8388608.0f + float(kZero));
  }
  __device__ __forceinline__ static void convert(uint32_t q, uint32_t (&p)[2]) {
    using P = Pair<__nv_bfloat16>;
    p[0] = P::pack(byte_to_f32(q, 0), byte_to_f32(q, 1));
    p[1] = P::pack(byte_to_f32(q, 2), byte_to_f32(q, 3));
  }
};

}  // namespace numeric
}  // namespace qgemm
