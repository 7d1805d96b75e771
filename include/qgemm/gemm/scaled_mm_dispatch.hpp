// Which W8A8 kernel configuration serves which M: one table per architecture family.
// Kernels are instantiated from these rows (by index), so what a benchmark prints is
// what runs. Rows with max_m == 0 are compiled alternatives that the dispatch never
// picks; benchmarks force them by index to compare.
#pragma once

namespace qgemm {

// ----------------------------------------------------------------- sm90a (wgmma)
// Tiles are given in the kernel's own M x N x K: with swap_ab the kernel computes
// out^T, so tile_m counts weight rows (output channels) and tile_n tokens.
struct Sm90ScaledMmConfig {
  const char* name;
  int tile_m, tile_n, tile_k;
  int cluster_m, cluster_n;
  bool swap_ab;      // out^T = W a^T: small token counts fill the 64-row wgmma with weights
  bool cooperative;  // two consumer warpgroups share a tile (tile_m >= 128); else ping-pong
  bool stream_k;     // stream-K tile scheduler (cooperative only): every SM busy on few tiles
  int max_m;         // largest M this row serves (rows are tried in order); 0: never chosen
};

inline constexpr Sm90ScaledMmConfig kSm90ScaledMmConfigs[] = {
    {"sm90_swap_w128_t16_k256_coop_streamk", 128, 16, 256, 1, 1, true, true, true, 16},
    {"sm90_swap_w128_t64_k128_coop_streamk", 128, 64, 128, 1, 1, true, true, true, 64},
    {"sm90_m128_n128_k128_coop_streamk", 128, 128, 128, 1, 1, false, true, true, 256},
    {"sm90_m128_n256_k128_coop_c2x1", 128, 256, 128, 2, 1, false, true, false, 1 << 30},
    {"sm90_m128_n128_k128_pingpong_c2x1", 128, 128, 128, 2, 1, false, false, false, 0},
};
inline constexpr int kNumSm90ScaledMmConfigs =
    int(sizeof(kSm90ScaledMmConfigs) / sizeof(kSm90ScaledMmConfigs[0]));

// The row that serves M (first with M <= max_m), or `forced` when it names a row.
inline int sm90_scaled_mm_config(int M, int forced = -1) {
  if (forced >= 0) return forced < kNumSm90ScaledMmConfigs ? forced : -1;
  for (int i = 0; i < kNumSm90ScaledMmConfigs; ++i)
    if (M <= kSm90ScaledMmConfigs[i].max_m) return i;
  return -1;
}

}  // namespace qgemm
