// int8_k64: W[N, K] int8 codes as the register (A) operand of sm90 RS-wgmma, in (n64 x k64)
// blocks of 4 KiB: the int8 sibling of int4_k64 (same A fragment, one byte per value).
//
// Thread tid = 32 q + t of the consumer warpgroup holds the 32 A values of k16 steps 0, 1 in
// the 16 bytes at 1024 q + 16 t of a block and those of steps 2, 3 in the 16 bytes 512 later:
// two conflict-free LDS.128 per k64 tile, a warp reading 512 contiguous bytes each. Byte
//   1024 q + 512 (j / 2) + 16 t + 8 (j % 2) + 4 rk + 2 rm + e
// holds W[n, k] with n = 16 q + 8 rm + t / 4, k = 16 j + 8 rk + 2 (t % 4) + e. Word
// (j, rk) is A registers 2 rk (bytes 0, 1: rm = 0) and 2 rk + 1 (bytes 2, 3: rm = 1) of
// step j, which one prmt each turns into fp16x2 (numeric::U8x4).
//
// Blocks are stored [K / 64][N / 64][4096 B] (TiledWeightFormat). Codes are stored
// unsigned: int8 as q + 128.
//
// Derived from CuTe's wgmma A thread-value layout like int4_k64, so the format and the MMA
// atom cannot drift; tests/cpp/layout checks it against the formula above.
#pragma once

#include "qgemm/layout/int4_k64.hpp"
#include "qgemm/layout/tiled_weight_format.hpp"

namespace qgemm::layout {

namespace detail {
CUTE_HOST_DEVICE constexpr auto int8_k64_storage() {
  using namespace cute;
  constexpr auto modes = wgmma_a_modes();
  constexpr auto t0 = get<0>(modes);
  constexpr auto t1 = get<1>(modes);
  constexpr auto q = get<2>(modes);
  constexpr auto e = get<3>(modes);
  constexpr auto rm = get<4>(modes);
  constexpr auto rk = get<5>(modes);
  constexpr auto j_lo = Layout<_2, _1024>{};  // k16 step j = j_lo + 2 j_hi: k + 16 j
  constexpr auto j_hi = Layout<_2, _2048>{};
  // storage order: byte (e, rm), word rk, step j_lo, thread (t0, t1), half j_hi, warp q.
  return make_layout(make_layout(e, rm), rk, j_lo, make_layout(t0, t1), j_hi, q);
}
}  // namespace detail

using Int8K64 = TiledWeightFormat<8, 64, 64, decltype(detail::int8_k64_storage())>;

static_assert(Int8K64::kTileBytes == 4096, "an int8_k64 block is 4 KiB");
static_assert(Int8K64::kWordsPerTile == 8 * 128, "eight words per warpgroup thread");

}  // namespace qgemm::layout
