// int4_k64: W[N, K] as the register (A) operand of sm90 RS-wgmma, in (n64 x k64) blocks
// of 2 KiB; the one int4 format meant for both the sm90 wgmma mainloop and the sm80
// mma.sync decode kernel (docs/design/sm90_wna16.md, section 3).
//
// The weights play wgmma's A (the 64 rows M = 64 output channels n of a block). Thread
// tid = 32 q + t of the consumer warpgroup owns bytes [16 tid, 16 tid + 16) of a block:
// one 16-byte load per k64 tile. Its word j (k16 step j) holds the 8 A values of
// wgmma.m64nNk16 for that step, nibble 4 e + rm + 2 rk holding W[n, k] with
//   n = 16 q + 8 rm + t / 4,   k = 16 j + 8 rk + 2 (t % 4) + e,
// i.e. nibble ((32 q + t) * 4 + j) * 8 + 4 e + rm + 2 rk of the block. Pair p = rm + 2 rk
// is A register p, and as in int4_fragment `(word >> 4 p) & 0x000f000f | magic` turns
// nibbles (p, p + 4) into that register's fp16x2 / bf16x2 (e = 0 low half).
//
// The same word serves mma.sync m16n8k16 with W as B: lane t, word j of chunk q is the
// B fragment (k16 block j) of n8 block 2 q from pairs (p0, p2) and of n8 block 2 q + 1
// from (p1, p3); a warp reads chunk q (512 contiguous bytes) with one 16-byte load per
// lane for the whole k64.
//
// Blocks are stored [K / 64][N / 64][2048 B] (TiledWeightFormat: block (kt, nt) is block
// kt * (N / 64) + nt). Codes are stored unsigned: int4 as q + 8, uint4 as q.
//
// Derived, not tabled: the storage layout is built from the modes of CuTe's own wgmma A
// thread-value layout (MMA_Traits<...RS>::ALayout, (T128, V8) -> m + 64 k), so the format
// and the MMA atom cannot drift. tests/cpp/layout checks it against the formula above.
#pragma once

#include <cute/atom/mma_traits_sm90_gmma.hpp>
#include <cute/layout.hpp>

#include "qgemm/layout/tiled_weight_format.hpp"

namespace qgemm::layout {

// Any 16-bit RS wgmma has the same A layout (GMMA::ALayout_64x16); N is irrelevant to A.
using WgmmaAtomBF16RS =
    cute::SM90::GMMA::MMA_64x64x16_F32BF16BF16_RS<cute::SM90::GMMA::Major::K,
                                                  cute::SM90::GMMA::Major::K>;

// wgmma A operand as ((t0, t1, q), (e, rm, rk)) -> m + 64 k inside an (m64 x k16) tile:
// t0 = t % 4 (k + 2 t0), t1 = t / 4 (m + t1), q = warp (m + 16 q); e = element of the
// 16-bit pair (k + 1), rm = row half (m + 8), rk = k half (k + 8).
CUTE_HOST_DEVICE constexpr auto wgmma_a_fragment() {
  return typename cute::MMA_Traits<WgmmaAtomBF16RS>::ALayout{};
}

namespace detail {
// The six modes of wgmma_a_fragment() as one tuple (t0, t1, q, e, rm, rk), for the k64
// storage layouts (a block's n is the atom's m: n + 64 k).
CUTE_HOST_DEVICE constexpr auto wgmma_a_modes() {
  using namespace cute;
  constexpr auto atom = wgmma_a_fragment();
  return make_tuple(get<0, 0>(atom), get<0, 1>(atom), get<0, 2>(atom), get<1, 0>(atom), get<1, 1>(atom),
                    get<1, 2>(atom));
}

CUTE_HOST_DEVICE constexpr auto int4_k64_storage() {
  using namespace cute;
  constexpr auto modes = wgmma_a_modes();
  constexpr auto t0 = get<0>(modes);
  constexpr auto t1 = get<1>(modes);
  constexpr auto q = get<2>(modes);
  constexpr auto e = get<3>(modes);
  constexpr auto rm = get<4>(modes);
  constexpr auto rk = get<5>(modes);
  constexpr auto j = Layout<_4, _1024>{};  // k16 step j of the k64 block: k + 16 j
  // storage order: nibble ((rm, rk), e), then word j, then thread (t0, t1), then warp q.
  return make_layout(make_layout(make_layout(rm, rk), e), j, make_layout(t0, t1), q);
}
}  // namespace detail

using Int4K64 = TiledWeightFormat<4, 64, 64, decltype(detail::int4_k64_storage())>;

static_assert(Int4K64::kTileBytes == 2048, "an int4_k64 block is 2 KiB");
static_assert(Int4K64::kWordsPerTile == 4 * 128, "four words per warpgroup thread");
static_assert(decltype(cute::size<0>(wgmma_a_fragment()))::value == 128 &&
                  decltype(cute::size<1>(wgmma_a_fragment()))::value == 8 &&
                  decltype(cute::cosize(wgmma_a_fragment()))::value == 64 * 16,
              "the wgmma A layout must be (T128, V8) -> (m64 x k16)");

}  // namespace qgemm::layout
