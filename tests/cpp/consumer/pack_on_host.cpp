// Packs a random int4 weight into the int4 fragment format and a random fp6 weight into
// tc-fpx on the host, unpacks both, and checks a word of the int4 format by hand.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <qgemm/layout/int4_fragment.hpp>
#include <qgemm/layout/tc_fpx.hpp>

int main() {
  using qgemm::layout::Int4Fragment;
  using qgemm::layout::TcFpx;
  const int64_t N = 128, K = 64;
  std::mt19937 rng(7);
  std::vector<uint8_t> codes(N * K), back(N * K);
  for (auto& c : codes) c = uint8_t(rng() % 16);

  std::vector<uint32_t> packed(Int4Fragment::num_words(N, K));
  for (int64_t w = 0; w < int64_t(packed.size()); ++w)
    packed[w] = Int4Fragment::pack_word(codes.data(), N, K, w, 0);
  for (int64_t w = 0; w < int64_t(packed.size()); ++w)
    Int4Fragment::unpack_word(packed[w], back.data(), N, K, w, 0, false);
  if (back != codes) { std::printf("int4 roundtrip FAILED\n"); return 1; }

  // Word 0 of lane 0: nibble i holds (n = 8 * sub, k = 8 * r + e), p = i % 4 = 2 sub + r, e = i / 4.
  uint32_t expect = 0;
  for (int i = 0; i < 8; ++i) {
    const int p = i % 4, e = i / 4, sub = p / 2, r = p % 2;
    expect |= uint32_t(codes[(8 * sub) * K + 8 * r + e]) << (4 * i);
  }
  if (packed[0] != expect) { std::printf("int4 word 0 FAILED: %08x != %08x\n", packed[0], expect); return 1; }

  for (auto& c : codes) c = uint8_t(rng() % 64);
  std::vector<uint8_t> fp6(N * K * 6 / 8);
  const int64_t tiles = N * K / (TcFpx::kTileN * TcFpx::kTileK);
  for (int64_t t = 0; t < tiles; ++t)
    for (int lane = 0; lane < TcFpx::kLanes; ++lane) TcFpx::pack_lane(codes.data(), N, K, 6, t, lane, fp6.data());
  for (int64_t t = 0; t < tiles; ++t)
    for (int lane = 0; lane < TcFpx::kLanes; ++lane) TcFpx::unpack_lane(fp6.data(), N, K, 6, t, lane, back.data());
  if (back != codes) { std::printf("tc-fpx roundtrip FAILED\n"); return 1; }

  std::printf("qgemm consumer: packed %lld int4 words and %zu fp6 bytes on the host: ok\n",
              (long long)packed.size(), fp6.size());
  return 0;
}
