// Thread-value layouts of the mma.sync m16n8k16 operands, re-expressed in the tiles
// that the weight formats are built from.
//
// Every kernel weight format in qgemm is derived from these: a format is "the values
// one lane needs for its MMA fragments, in register order", and the layouts below are
// taken from CuTe's own MMA_Traits so that the format and the MMA atom cannot drift.
#pragma once

#include <cute/atom/mma_traits_sm80.hpp>
#include <cute/layout.hpp>

namespace qgemm::layout {

using MmaAtomF16 = cute::SM80_16x8x16_F32F16F16F32_TN;

// B operand (weights as [N, K], "TN" = K-major), as (lane, (e, r)) -> n + Width * k,
// where e picks the element of a 2 x 16-bit register (k + 1) and r the register (k + 8).
// CuTe's BLayout indexes an (8 x 16) column-major tile; composing with a tile of row
// pitch `Width` places it inside a wider (Width x 16) tile without changing the order.
template <int Width>
CUTE_HOST_DEVICE constexpr auto b_fragment_in_tile() {
  using namespace cute;
  using BLayout = typename MMA_Traits<MmaAtomF16>::BLayout;  // (T32, V4) -> (N8, K16)
  return composition(Layout<Shape<_8, _16>, Stride<_1, Int<Width>>>{}, BLayout{});
}

// A operand (weights as rows of a [16, 16] tile), as (lane, (e, rm, rk)) -> m + Width * k:
// e = element of the register (k + 1), rm = row half (m + 8), rk = k half (k + 8).
template <int Width>
CUTE_HOST_DEVICE constexpr auto a_fragment_in_tile() {
  using namespace cute;
  using ALayout = typename MMA_Traits<MmaAtomF16>::ALayout;  // (T32, V8) -> (M16, K16)
  return composition(Layout<Shape<_16, _16>, Stride<_1, Int<Width>>>{}, ALayout{});
}

}  // namespace qgemm::layout
