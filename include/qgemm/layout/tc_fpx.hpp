// tc-fpx: FP6-LLM-style bit-split format for FPx weights (fp6 = 2 + 4 bits,
// fp5 = 1 + 4, fp4 = 4), with W[N, K] as the A operand of mma.m16n8k16.
//
// A warp tile is 64 rows (n) x 64 k: 4 x 4 A fragments, 128 codes per lane. Codes are
// taken in "byte words" of four: bytes j = rm + 2 e, so that bytes (0, 2) and (1, 3)
// become the two 16-bit A registers rm = 0, 1 (low half = element e = 0) with two
// shifts and masks once each code sits left-aligned in its byte. Lane t's byte words
// run bw = rk + 2 mb + 8 kb (rk: k half of the fragment, mb / kb: the 16-row / 16-k
// block of the tile), so a k16 step needs byte words 8 kb .. 8 kb + 7.
//
// Each code is split into a high plane (its top nbits - 4 bits: 2 for fp6, 1 for fp5,
// none for fp4) and a 4-bit plane (its low 4 bits). Planes are packed separately:
//   4-bit plane: word j = bw / 2 per lane; byte j of the word holds byte word 2j's code j
//                in its low nibble and byte word 2j+1's in the high nibble;
//   2-bit plane: word bw / 4; bits (2m+1, 2m) of byte j hold byte word 4(bw/4)+m;
//   1-bit plane: word bw / 8; bit m of byte j holds byte word 8(bw/8)+m.
// so that `(word << s) & mask` brings any byte word's part into place in one step.
// In a tile, planes follow each other from the narrowest: [1-bit (512 B)] [2-bit (1 KiB)]
// [4-bit (2 KiB)]; inside a plane, lane t's q-th 16 bytes sit at q * 512 + 16 t, so every
// load is an aligned, conflict-free 16-byte copy. Tiles are stored kt * (N / 64) + nt.
#pragma once

#include <cstdint>

#include "qgemm/layout/mma_fragments.hpp"

namespace qgemm::layout {

struct TcFpx {
  static constexpr int kTileN = 64;
  static constexpr int kTileK = 64;
  static constexpr int kLanes = 32;
  static constexpr int kCodesPerLane = kTileN * kTileK / kLanes;  // 128
  static constexpr int kByteWordsPerLane = kCodesPerLane / 4;     // 32

  // (byte (rm, e), byte word (rk, mb, kb), lane) -> n + 64 k inside a tile.
  CUTE_HOST_DEVICE static constexpr auto tile_layout() {
    using namespace cute;
    constexpr auto atom = a_fragment_in_tile<64>();  // (lane, (e, rm, rk)) -> n + 64 k
    constexpr auto byte = make_layout(get<1, 1>(atom), get<1, 0>(atom));
    constexpr auto byte_word =
        make_layout(get<1, 2>(atom), Layout<_4, _16>{}, Layout<_4, Int<16 * 64>>{});
    return make_layout(byte, byte_word, get<0>(atom));
  }

  CUTE_HOST_DEVICE static constexpr int high_bits(int nbits) { return nbits - 4; }
  CUTE_HOST_DEVICE static constexpr int tile_bytes(int nbits) { return kTileN * kTileK * nbits / 8; }
  // Byte offset of the 4-bit plane (and size of the high plane) inside a tile.
  CUTE_HOST_DEVICE static constexpr int low_plane_offset(int nbits) {
    return kTileN * kTileK * high_bits(nbits) / 8;
  }
  CUTE_HOST_DEVICE static constexpr bool supported(int nbits) { return nbits >= 4 && nbits <= 6; }

  // Byte offset, inside a plane, of word `j` of `lane`.
  CUTE_HOST_DEVICE static constexpr int plane_word_offset(int lane, int j) {
    return (j / 4) * 512 + 16 * lane + 4 * (j % 4);
  }

  // Coordinates in W of code `byte` of byte word `bw` of `lane` in tile `tile`.
  CUTE_HOST_DEVICE static void coords(int64_t tile, int lane, int bw, int byte, int64_t N,
                                      int64_t& n, int64_t& k) {
    const int off = tile_layout()(byte, bw, lane);
    const int64_t tiles_n = N / kTileN;
    n = (tile % tiles_n) * kTileN + off % kTileN;
    k = (tile / tiles_n) * kTileK + off / kTileN;
  }

  // Writes lane `lane`'s share of tile `tile` from codes [N, K] (one code per byte,
  // right-aligned) into `packed` (the whole packed matrix). Every byte of the lane's
  // share is written, so `packed` needs no clearing.
  CUTE_HOST_DEVICE static void pack_lane(const uint8_t* codes, int64_t N, int64_t K, int nbits,
                                         int64_t tile, int lane, uint8_t* packed) {
    const int hb = high_bits(nbits);
    uint8_t* base = packed + tile * tile_bytes(nbits);
    uint32_t low_words[kByteWordsPerLane / 2] = {};
    uint32_t high_words[kByteWordsPerLane / 4] = {};  // 2-bit: 8 words, 1-bit: 4 words
    for (int bw = 0; bw < kByteWordsPerLane; ++bw) {
      for (int j = 0; j < 4; ++j) {
        int64_t n, k;
        coords(tile, lane, bw, j, N, n, k);
        const uint32_t c = codes[n * K + k];
        low_words[bw / 2] |= (c & 0xFu) << (8 * j + 4 * (bw % 2));
        if (hb > 0) {
          const int per_byte = 8 / hb;  // byte words sharing one plane word
          high_words[bw / per_byte] |= (c >> 4) << (8 * j + hb * (bw % per_byte));
        }
      }
    }
    for (int j = 0; j < kByteWordsPerLane / 2; ++j)
      store_word(base + low_plane_offset(nbits) + plane_word_offset(lane, j), low_words[j]);
    if (hb > 0)
      for (int j = 0; j < kByteWordsPerLane * hb / 8; ++j)
        store_word(base + plane_word_offset(lane, j), high_words[j]);
  }

  // Inverse of pack_lane.
  CUTE_HOST_DEVICE static void unpack_lane(const uint8_t* packed, int64_t N, int64_t K, int nbits,
                                           int64_t tile, int lane, uint8_t* codes) {
    const int hb = high_bits(nbits);
    const uint8_t* base = packed + tile * tile_bytes(nbits);
    for (int bw = 0; bw < kByteWordsPerLane; ++bw) {
      const uint32_t low = load_word(base + low_plane_offset(nbits) + plane_word_offset(lane, bw / 2));
      uint32_t high = 0;
      int per_byte = 1;
      if (hb > 0) {
        per_byte = 8 / hb;
        high = load_word(base + plane_word_offset(lane, bw / per_byte));
      }
      for (int j = 0; j < 4; ++j) {
        uint32_t c = (low >> (8 * j + 4 * (bw % 2))) & 0xFu;
        if (hb > 0) c |= ((high >> (8 * j + hb * (bw % per_byte))) & ((1u << hb) - 1u)) << 4;
        int64_t n, k;
        coords(tile, lane, bw, j, N, n, k);
        codes[n * K + k] = static_cast<uint8_t>(c);
      }
    }
  }

 private:
  // Little-endian byte stores: the format is defined in bytes, whatever the host.
  CUTE_HOST_DEVICE static void store_word(uint8_t* p, uint32_t w) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(w >> (8 * i));
  }
  CUTE_HOST_DEVICE static uint32_t load_word(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  }
};

}  // namespace qgemm::layout
