// The int8 kernel format: W[N, K] as the B operand of mma.m16n8k16, (k16 x n64) tiles
// of 1024 bytes; lane t reads 16 bytes at 16 t and 16 bytes at 512 + 16 t (two
// conflict-free 16-byte loads). Word w (0..7) is the whole B fragment of n8-block w,
// its bytes in the atom's own value order (e, r): bytes 0, 1 are b-register 0 and
// bytes 2, 3 b-register 1, which one prmt each turns into fp16x2.
// Codes are stored unsigned: int8 as q + 128.
#pragma once

#include "qgemm/layout/mma_fragments.hpp"
#include "qgemm/layout/tiled_weight_format.hpp"

namespace qgemm::layout {

namespace detail {
CUTE_HOST_DEVICE constexpr auto int8_fragment_storage() {
  using namespace cute;
  constexpr auto atom = b_fragment_in_tile<64>();  // (lane, (e, r)) -> n + 64 k
  constexpr auto word_in_half = Layout<_4, _8>{};  // n8-block w = word_in_half + 4 half
  constexpr auto half = Layout<_2, _32>{};
  // storage order: byte (e, r), word in the 16-byte half, lane, half.
  return make_layout(get<1>(atom), word_in_half, get<0>(atom), half);
}
}  // namespace detail

using Int8Fragment =
    TiledWeightFormat<8, 64, 16, decltype(detail::int8_fragment_storage())>;

}  // namespace qgemm::layout
