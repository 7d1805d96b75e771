// The mma.sync atoms (CuTe's m16n8k16 / m16n8k32 wrappers) the hand-written kernels use,
// chosen by element type, so that each kernel names the operand types, not the atom.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cute/arch/mma_sm80.hpp>
#include <cute/arch/mma_sm89.hpp>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm {

// 16-bit operands, fp32 accumulators (sm_80+): the weight-only kernels.
template <class T> struct Mma16x8x16;
template <> struct Mma16x8x16<__half> { using type = cute::SM80_16x8x16_F32F16F16F32_TN; };
template <> struct Mma16x8x16<__nv_bfloat16> { using type = cute::SM80_16x8x16_F32BF16BF16F32_TN; };

// 8-bit operands: int8 with int32 accumulators (sm_80+), fp8 e4m3 with fp32 (sm_89+).
template <Operand8 kOp> struct Mma16x8x32;
template <> struct Mma16x8x32<Operand8::kInt8> {
  using type = cute::SM80_16x8x32_S32S8S8S32_TN;
  using Acc = int32_t;
};
template <> struct Mma16x8x32<Operand8::kFp8E4M3> {
  using type = cute::SM89_16x8x32_F32E4M3E4M3F32_TN;
  using Acc = float;
};

}  // namespace qgemm
