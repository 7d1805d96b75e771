// Pack and unpack for weight formats that store each (TileN x TileK) tile of W[N, K]
// as one contiguous block of 32-bit words, in the order the MMA lanes consume them.
//
// A format is a CuTe layout from the storage index inside a tile (value by value, in
// word order: the value at storage index s sits in word s / (32 / Bits), at bit
// Bits * (s % (32 / Bits))) to the tile coordinate n + TileN * k. Tiles are stored
// K-tile-major: tile (kt, nt) is tile number kt * (N / TileN) + nt, so the weights of
// one k-step across all of N are contiguous.
//
// The same functions run on the host (CPU packers bound to Python, tests) and in the
// GPU repack kernel, one word per call: no tables, no allocation.
#pragma once

#include <cstdint>

#include <cute/layout.hpp>

namespace qgemm::layout {

template <int Bits, int TileN, int TileK, class StorageToTile>
struct TiledWeightFormat {
  static_assert(Bits == 4 || Bits == 8, "sub-word values only");
  static constexpr int kBits = Bits;
  static constexpr int kTileN = TileN;
  static constexpr int kTileK = TileK;
  static constexpr int kValuesPerWord = 32 / Bits;
  static constexpr int kValuesPerTile = TileN * TileK;
  static constexpr int kWordsPerTile = kValuesPerTile / kValuesPerWord;
  static constexpr int kTileBytes = kWordsPerTile * 4;
  static constexpr uint32_t kMask = (1u << Bits) - 1u;
  static_assert(decltype(cute::size(StorageToTile{}))::value == kValuesPerTile,
                "the storage layout must cover the tile exactly");

  static constexpr int64_t num_words(int64_t N, int64_t K) { return N * K / kValuesPerWord; }

  // Where value `v` (0 .. kValuesPerWord-1) of global word `word` lives in W[N, K].
  CUTE_HOST_DEVICE static void coords(int64_t word, int v, int64_t N, int64_t& n, int64_t& k) {
    int64_t n0, k0;
    tile_origin(word, N, n0, k0);
    const int off = StorageToTile{}(static_cast<int>(word % kWordsPerTile) * kValuesPerWord + v);
    n = n0 + off % TileN;
    k = k0 + off / TileN;
  }

  // The (n, k) of the first element of the tile holding `word`: the only runtime
  // division, done once per word by the packers (the in-tile part is a static layout).
  CUTE_HOST_DEVICE static void tile_origin(int64_t word, int64_t N, int64_t& n0, int64_t& k0) {
    const int64_t tile = word / kWordsPerTile, tiles_n = N / TileN;
    n0 = (tile % tiles_n) * TileN;
    k0 = (tile / tiles_n) * TileK;
  }

  // The inverse of coords: which word, and which value in it, holds W[n, k]. The
  // tile-level inverse is CuTe's right_inverse of the storage layout (a bijection).
  CUTE_HOST_DEVICE static void locate(int64_t n, int64_t k, int64_t N, int64_t& word, int& v) {
    const int s = cute::right_inverse(StorageToTile{})(int(n % TileN + TileN * (k % TileK)));
    const int64_t tile = (k / TileK) * (N / TileN) + n / TileN;
    word = tile * kWordsPerTile + s / kValuesPerWord;
    v = s % kValuesPerWord;
  }

  // codes: W's codes one per byte, row-major [N, K]. xor_mask turns the stored
  // byte into the unsigned code the kernel decodes (0x8 maps int4 two's complement
  // to q + 8, 0x80 maps int8 to q + 128, 0 keeps unsigned codes).
  CUTE_HOST_DEVICE static uint32_t pack_word(const uint8_t* codes, int64_t N, int64_t K,
                                             int64_t word, uint32_t xor_mask) {
    return pack_word_from(
        [&](int64_t n, int64_t k) { return uint32_t(codes[n * K + k]) ^ xor_mask; }, N, word);
  }

  // The same from any source of unsigned codes: code(n, k) -> code of W[n, k]. Lets the
  // GPU repack read a checkpoint's own packing (AWQ, GPTQ) in the same pass.
  template <class CodeOf>
  CUTE_HOST_DEVICE static uint32_t pack_word_from(CodeOf&& code, int64_t N, int64_t word) {
    int64_t n0, k0;
    tile_origin(word, N, n0, k0);
    const int s0 = static_cast<int>(word % kWordsPerTile) * kValuesPerWord;
    uint32_t out = 0;
    for (int v = 0; v < kValuesPerWord; ++v) {
      const int off = StorageToTile{}(s0 + v);
      out |= (code(n0 + off % TileN, k0 + off / TileN) & kMask) << (Bits * v);
    }
    return out;
  }

  // Inverse of pack_word. Sign-extends when the codes are signed (sign_extend = true)
  // so int4 comes back as int8 in [-8, 7].
  CUTE_HOST_DEVICE static void unpack_word(uint32_t packed, uint8_t* codes, int64_t N, int64_t K,
                                           int64_t word, uint32_t xor_mask, bool sign_extend) {
    for (int v = 0; v < kValuesPerWord; ++v) {
      int64_t n, k;
      coords(word, v, N, n, k);
      uint32_t u = ((packed >> (Bits * v)) & kMask) ^ xor_mask;
      if (sign_extend && (u & (1u << (Bits - 1)))) u |= ~kMask;
      codes[n * K + k] = static_cast<uint8_t>(u);
    }
  }
};

}  // namespace qgemm::layout
