// The int4 kernel format: W[N, K] as the B operand of mma.m16n8k16, one 16-byte load
// per lane per (k16 x n64) tile, nibbles interleaved for the LOP3 conversion.
//
// Per tile, lane t owns 4 words; word w holds the B fragments of n8-blocks 2w and 2w+1.
// Inside a word, nibble i holds pair p = i % 4, element e = i / 4: the conversion
// `(word >> 4p') & 0x000f000f | magic` yields nibbles p and p + 4 as the low and high
// halves of one fp16x2 / bf16x2 register, so pair p is the register (nibble p, nibble p+4).
// Pairs 0, 1 are b-registers 0, 1 (k + 0, k + 8) of block 2w; pairs 2, 3 those of 2w + 1.
// Codes are stored unsigned: int4 as q + 8, uint4 as q.
#pragma once

#include "qgemm/layout/mma_fragments.hpp"
#include "qgemm/layout/tiled_weight_format.hpp"

namespace qgemm::layout {

namespace detail {
CUTE_HOST_DEVICE constexpr auto int4_fragment_storage() {
  using namespace cute;
  constexpr auto atom = b_fragment_in_tile<64>();  // (lane, (e, r)) -> n + 64 k
  constexpr auto lane = get<0>(atom);
  constexpr auto e = get<1, 0>(atom);
  constexpr auto r = get<1, 1>(atom);
  constexpr auto sub = Layout<_2, _8>{};   // n8-block 2w + sub ...
  constexpr auto word = Layout<_4, _16>{}; // ... of word w
  // storage order: nibble ((r, sub), e), then word, then lane.
  return make_layout(make_layout(make_layout(r, sub), e), word, lane);
}
}  // namespace detail

using Int4Fragment =
    TiledWeightFormat<4, 64, 16, decltype(detail::int4_fragment_storage())>;

}  // namespace qgemm::layout
