// CPU packers: the layout code of include/qgemm/layout/ run word by word on the host.
#include "ops.hpp"

#include "qgemm/layout/tc_fpx.hpp"
#include "tiled_formats.hpp"

namespace qgemm::ops {
namespace {

template <class Format>
void pack_all(const uint8_t* codes, int64_t N, int64_t K, uint32_t xor_mask, uint32_t* packed) {
  const int64_t words = Format::num_words(N, K);
  for (int64_t w = 0; w < words; ++w) packed[w] = Format::pack_word(codes, N, K, w, xor_mask);
}

template <class Format>
void unpack_all(const uint32_t* packed, int64_t N, int64_t K, uint32_t xor_mask, bool sign_extend,
                uint8_t* codes) {
  const int64_t words = Format::num_words(N, K);
  for (int64_t w = 0; w < words; ++w)
    Format::unpack_word(packed[w], codes, N, K, w, xor_mask, sign_extend);
}

}  // namespace

void pack_tiled_host(TiledFormat f, const uint8_t* codes, int64_t N, int64_t K, uint32_t xor_mask,
                     uint32_t* packed) {
  visit_tiled_format(f, [&](auto fmt) { pack_all<decltype(fmt)>(codes, N, K, xor_mask, packed); });
}

void unpack_tiled_host(TiledFormat f, const uint32_t* packed, int64_t N, int64_t K,
                       uint32_t xor_mask, bool sign_extend, uint8_t* codes) {
  visit_tiled_format(f, [&](auto fmt) { unpack_all<decltype(fmt)>(packed, N, K, xor_mask, sign_extend, codes); });
}

void pack_tc_fpx_host(const uint8_t* codes, int64_t N, int64_t K, int nbits, uint8_t* packed) {
  const int64_t tiles = N * K / (layout::TcFpx::kTileN * layout::TcFpx::kTileK);
  for (int64_t t = 0; t < tiles; ++t)
    for (int lane = 0; lane < layout::TcFpx::kLanes; ++lane)
      layout::TcFpx::pack_lane(codes, N, K, nbits, t, lane, packed);
}

void unpack_tc_fpx_host(const uint8_t* packed, int64_t N, int64_t K, int nbits, uint8_t* codes) {
  const int64_t tiles = N * K / (layout::TcFpx::kTileN * layout::TcFpx::kTileK);
  for (int64_t t = 0; t < tiles; ++t)
    for (int lane = 0; lane < layout::TcFpx::kLanes; ++lane)
      layout::TcFpx::unpack_lane(packed, N, K, nbits, t, lane, codes);
}

}  // namespace qgemm::ops
