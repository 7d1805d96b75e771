// Element-level numerics of activation quantization, shared by the per-token, per-tensor
// and fused kernels: the constants, the scale formulas and the code of one value, bit
// for bit as python/qgemm/reference/activation_quant.py defines them, and the 8-element
// chunks the kernels move data in.
//
//   int8 symmetric    s = max(amax, 1e-12) / 127,   q = clamp(rint(x / s), -127, 127)
//   int8 asymmetric   lo = min(min x, 0), hi = max(max x, 0)
//                     s = max(hi - lo, 1e-12) / 255, zp = clamp(rint(-128 - lo / s), -128, 127)
//                     q = clamp(rint(x / s) + zp, -128, 127)
//   fp8 e4m3          s = max(min(amax, ub), 1e-12) / 448
//                     q = e4m3(clamp(x / s, -448, 448)), round to nearest even
//
// The floor of 1e-12 on amax (or on hi - lo) gives an all-zero row a tiny positive scale
// and zero codes instead of 0 / 0. Every operation is float32 and written with explicit
// round-to-nearest intrinsics, so the results do not change under --use_fast_math, and
// divisions give the correctly rounded quotient of a true division (never a bare
// reciprocal multiply; see "division" below). rint is round-half-to-even, as torch.round.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

namespace qgemm::quant {

// What a kernel writes per element (and per row: a scale, and a zero point for asymmetric).
enum class QuantKind : int { kInt8Symmetric = 0, kInt8Asymmetric = 1, kFp8E4m3 = 2 };

constexpr float kInt8Max = 127.0f;
constexpr float kInt8Steps = 255.0f;  // asymmetric int8: [lo, hi] onto [-128, 127]
constexpr float kFp8Max = 448.0f;     // largest finite float8_e4m3fn
constexpr float kAmaxFloor = 1e-12f;  // floor of amax (or hi - lo), as in the reference
constexpr int kChunk = 8;             // elements a thread moves at once: 16 bytes of fp16/bf16

// ------------------------------------------------------------------------ division
// IEEE division (__fdiv_rn) compiles to a fast path plus a called slow-path subroutine;
// with a row held in registers, the call makes ptxas spill. The per-row and per-element
// divisions here are written without calls, and still give the correctly rounded results
// the reference's float32 `/` gives:
//
// - by a constant (amax / 127, / 255, / 448): a * RN64(1 / k) in double, rounded to
//   float. For k odd times a power of two, a / k is never a float midpoint and lies at
//   least 2^-40 (relative) away from one, far more than the double error (2^-52).
// - by the row's scale s: y = RN(1 / s) (MUFU.RCP refined by two Newton steps in
//   double, then rounded: exact by the same midpoint argument, s normal and 1/s normal),
//   then q = x * y corrected twice with the exact remainder fma(-s, q, x) (Markstein;
//   the same sequence as the fast path of IEEE division). Correctly rounded where
//   2^-11 <= |x / s| <= 1024, i.e. wherever the int8 or fp8 code depends on it; below,
//   a value under 2^-10 with x's sign (code 0, or fp8 +-0 as the reference's); above,
//   a value past 1023 with x's sign (saturates as the reference's). Checked on the CPU
//   against float division for 2e8 random and tie-constructed pairs over s in
//   [2^-65, 2^125].

__device__ __forceinline__ float div_by_constant(float a, double inv_k) {
  return __double2float_rn(__dmul_rn(double(a), inv_k));
}

// RN(1 / s) for s with s and 1 / s normal.
__device__ __forceinline__ float reciprocal_rn(float s) {
  float r0;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r0) : "f"(s));
  const double S = s;
  double y = r0;
  y = __fma_rn(y, __fma_rn(-S, y, 1.0), y);
  y = __fma_rn(y, __fma_rn(-S, y, 1.0), y);
  return __double2float_rn(y);
}

// RN(x / s) in the range above; y = reciprocal_rn(s).
__device__ __forceinline__ float div_rn(float x, float s, float y) {
  const float q0 = __fmul_rn(x, y);
  float q = __fmaf_rn(__fmaf_rn(-s, q0, x), y, q0);
  q = __fmaf_rn(__fmaf_rn(-s, q, x), y, q);
  q = copysignf(q, x);  // x = -0: the corrections would give +0
  return fabsf(q0) <= 1024.0f ? q : q0;
}

// 1 / sqrt(v) for v > 0 normal: MUFU.RSQ refined by two Newton steps in double, then
// rounded (correctly rounded but in rare near-midpoint cases; the reference's torch.rsqrt
// is itself 1 / sqrt on the CPU, rsqrtf on CUDA).
__device__ __forceinline__ float rsqrt_rn(float v) {
  float r0;
  asm("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r0) : "f"(v));
  const double V = v;
  double y = r0;
  y = __dmul_rn(y, __fma_rn(-0.5 * V, __dmul_rn(y, y), 1.5));
  y = __dmul_rn(y, __fma_rn(-0.5 * V, __dmul_rn(y, y), 1.5));
  return __double2float_rn(y);
}

// ------------------------------------------------------------------------ scales

// The per-row (or per-tensor) constants of a quantizer: s, y = RN(1 / s) (for div_rn),
// and zp for asymmetric int8.
struct RowScale {
  float s, y;
  int zp;
};

__device__ __forceinline__ RowScale make_row_scale(float s, int zp = 0) { return RowScale{s, reciprocal_rn(s), zp}; }

__device__ __forceinline__ RowScale int8_symmetric_scale(float amax) {
  return make_row_scale(div_by_constant(fmaxf(amax, kAmaxFloor), 1.0 / 127.0));
}

// ub = +inf when there is no bound.
__device__ __forceinline__ RowScale fp8_scale(float amax, float ub) {
  return make_row_scale(div_by_constant(fmaxf(fminf(amax, ub), kAmaxFloor), 1.0 / 448.0));
}

// lo = min(min x, 0), hi = max(max x, 0); |lo / s| <= 255.
__device__ __forceinline__ RowScale int8_asymmetric_scale(float lo, float hi) {
  RowScale rs = make_row_scale(div_by_constant(fmaxf(__fsub_rn(hi, lo), kAmaxFloor), 1.0 / 255.0));
  rs.zp = min(max(__float2int_rn(__fsub_rn(-128.0f, div_rn(lo, rs.s, rs.y))), -128), 127);
  return rs;
}

// ------------------------------------------------------------------------ codes
// kTrueDivision: x / s by __fdiv_rn, for any positive s (static scales come from the
// caller); otherwise div_rn with the row's reciprocal (scales the kernel computed).

template <bool kTrueDivision>
__device__ __forceinline__ float quotient(float x, const RowScale& rs) {
  if constexpr (kTrueDivision) return __fdiv_rn(x, rs.s);
  return div_rn(x, rs.s, rs.y);
}

// __float2int_rn rounds half to even and saturates out-of-range values, so clamping the
// integer is the reference's clamp of the float.
template <bool kTrueDivision>
__device__ __forceinline__ uint32_t int8_symmetric_code(float x, const RowScale& rs) {
  const int q = __float2int_rn(quotient<kTrueDivision>(x, rs));
  return uint32_t(min(max(q, -127), 127)) & 0xffu;
}

// |x / s| <= 256 here (x within [lo, hi]), so the sum cannot overflow.
__device__ __forceinline__ uint32_t int8_asymmetric_code(float x, const RowScale& rs) {
  const int q = __float2int_rn(quotient<false>(x, rs)) + rs.zp;
  return uint32_t(min(max(q, -128), 127)) & 0xffu;
}

// Two values to two e4m3 bytes (a in the low byte). The clamp mirrors the reference;
// __NV_SATFINITE would saturate anyway. sm_89+ uses cvt.rn.satfinite.e4m3x2.f32; older
// archs cuda_fp8.hpp's bit-exact software path (also round to nearest even, sign kept
// for zeros and underflows).
template <bool kTrueDivision>
__device__ __forceinline__ uint32_t fp8_codes2(float a, float b, const RowScale& rs) {
  const float qa = fminf(fmaxf(quotient<kTrueDivision>(a, rs), -kFp8Max), kFp8Max);
  const float qb = fminf(fmaxf(quotient<kTrueDivision>(b, rs), -kFp8Max), kFp8Max);
  return uint32_t(__nv_cvt_float2_to_fp8x2(make_float2(qa, qb), __NV_SATFINITE, __NV_E4M3));
}

// Codes of one chunk, packed little-endian into 8 bytes (element j in byte j).
template <QuantKind kKind, bool kTrueDivision = false>
__device__ __forceinline__ uint2 quantize_chunk(const float (&v)[kChunk], const RowScale& rs) {
  static_assert(!(kTrueDivision && kKind == QuantKind::kInt8Asymmetric), "asymmetric scales are computed");
  uint32_t w[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float* p = v + 4 * h;
    if constexpr (kKind == QuantKind::kFp8E4m3) {
      w[h] = fp8_codes2<kTrueDivision>(p[0], p[1], rs) | (fp8_codes2<kTrueDivision>(p[2], p[3], rs) << 16);
    } else {
      uint32_t b[4];
#pragma unroll
      for (int j = 0; j < 4; ++j)
        b[j] = kKind == QuantKind::kInt8Symmetric ? int8_symmetric_code<kTrueDivision>(p[j], rs)
                                                   : int8_asymmetric_code(p[j], rs);
      w[h] = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
    }
  }
  return make_uint2(w[0], w[1]);
}

// ------------------------------------------------------------------------ element types

template <class T> __device__ __forceinline__ float to_float(T v);
template <> __device__ __forceinline__ float to_float<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_float<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <class T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// v rounded to T (nearest even) and back: what torch's x + residual in x.dtype gives.
template <class T>
__device__ __forceinline__ float round_to(float v) {
  return to_float<T>(from_float<T>(v));
}

// ------------------------------------------------------------------------ chunks of a row
// Chunk c of a row holds elements [8c, 8c + 8). `vec`: the launcher checked that every
// row pointer is 16-byte aligned (8-byte for the byte outputs) and K % 8 == 0, so a chunk
// is one or two 16-byte loads; otherwise elements are moved one by one and those past K
// read as 0 (neutral for max |x|, min/max with 0, and the sum of squares).

// A chunk as raw bits: 16 bytes of fp16/bf16, 32 of float.
template <class T>
using RawChunk = uint4[kChunk * sizeof(T) / 16];

template <class T>
__device__ __forceinline__ void raw_to_floats(const RawChunk<T>& raw, float (&v)[kChunk]) {
  T t[kChunk];
  static_assert(sizeof(t) == sizeof(raw), "one chunk");
  __builtin_memcpy(t, raw, sizeof(t));
#pragma unroll
  for (int j = 0; j < kChunk; ++j) v[j] = to_float<T>(t[j]);
}

template <class T>
__device__ __forceinline__ void floats_to_raw(const float (&v)[kChunk], RawChunk<T>& raw) {
  T t[kChunk];
#pragma unroll
  for (int j = 0; j < kChunk; ++j) t[j] = from_float<T>(v[j]);
  __builtin_memcpy(raw, t, sizeof(t));
}

template <class T>
__device__ __forceinline__ void load_chunk_raw(const T* row, int c, int K, bool vec,
                                               RawChunk<T>& raw) {
  const int col = c * kChunk;
  if (vec) {
#pragma unroll
    for (int i = 0; i < int(sizeof(RawChunk<T>) / 16); ++i) raw[i] = reinterpret_cast<const uint4*>(row + col)[i];
    return;
  }
  T t[kChunk];
#pragma unroll
  for (int j = 0; j < kChunk; ++j) t[j] = col + j < K ? row[col + j] : from_float<T>(0.0f);
  __builtin_memcpy(raw, t, sizeof(t));
}

template <class T>
__device__ __forceinline__ void load_chunk(const T* row, int c, int K, bool vec, float (&v)[kChunk]) {
  RawChunk<T> raw;
  load_chunk_raw(row, c, K, vec, raw);
  raw_to_floats<T>(raw, v);
}

// Stores v (exactly representable in T) as T.
template <class T>
__device__ __forceinline__ void store_chunk(T* row, int c, int K, bool vec, const float (&v)[kChunk]) {
  const int col = c * kChunk;
  RawChunk<T> raw;
  floats_to_raw<T>(v, raw);
  if (vec) {
#pragma unroll
    for (int i = 0; i < int(sizeof(RawChunk<T>) / 16); ++i) reinterpret_cast<uint4*>(row + col)[i] = raw[i];
    return;
  }
  T t[kChunk];
  __builtin_memcpy(t, raw, sizeof(t));
#pragma unroll
  for (int j = 0; j < kChunk; ++j)
    if (col + j < K) row[col + j] = t[j];
}

// 8 one-byte codes (packed by quantize_chunk) to bytes [8c, 8c + 8) of an output row.
__device__ __forceinline__ void store_codes(uint8_t* row, int c, int K, bool vec, uint2 codes) {
  const int col = c * kChunk;
  if (vec) {
    *reinterpret_cast<uint2*>(row + col) = codes;
    return;
  }
#pragma unroll
  for (int j = 0; j < kChunk; ++j)
    if (col + j < K) row[col + j] = uint8_t((j < 4 ? codes.x >> (8 * j) : codes.y >> (8 * (j - 4))) & 0xffu);
}

}  // namespace qgemm::quant
