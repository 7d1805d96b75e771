// Which W8A8 kernel configuration serves which M: one table per architecture family.
// Kernels are instantiated from these rows (by index), so what a benchmark prints is
// what runs. Rows with max_m == 0 are compiled alternatives that the dispatch never
// picks; benchmarks force them by index to compare.
#pragma once

namespace qgemm {

// The row of `table` that serves M (the first with M <= max_m), or `forced` when it
// names a row; -1 when none does.
template <class Config, int kRows>
constexpr int scaled_mm_table_row(const Config (&table)[kRows], int M, int forced) {
  if (forced >= 0) return forced < kRows ? forced : -1;
  for (int i = 0; i < kRows; ++i)
    if (M <= table[i].max_m) return i;
  return -1;
}

// ----------------------------------------------------------- decode sizes (M <= 16)
// With no family forced, M <= kScaledMmDecodeSizeMaxM goes where this table says, by the
// device's general family and the operand: first, up to full_decode_max_m rows, to the
// decode kernel on shapes whose decode plan keeps at least kScaledMmDecodeFullFill of the
// CTA slots busy over its waves (w8a8_decode_slot_fill); otherwise to `route` (kGeneral:
// the general family's own table).
//
// route, measured on H100 (70B block, GEMM alone, M = 1 / 16, one process:
// benchmarks/results/bench_w8a8_decode_b9b9d34.json):
//   int8: sm80 309 / 314, sm90 315 / 320, decode 321 / 329 (sm80 ahead in 4 runs of 4);
//   fp8:  sm80 345 / 348, sm90 315 / 319, decode 316 / 339.
// On sm_80 / sm_89 (no 90a) the sm80 family is the general one: fp8 goes to the decode
// kernel there (H100 proxy: 316 / 339 vs 345 / 348), int8 stays.
//
// full_decode_max_m: the decode kernel's PDL prologue (its first weights into L2 before the
// wait) overlaps the activation quantizer before it. Measured as the whole op (quantizer +
// GEMM) on H200, 70B block (w8a8_decode_ab_h200_bc304cb.json, w8a8_decode_ab_h200_f5f1e7b.json):
// o and down (8192 rows: 256 x 2 CTAs on 528 slots, 97 %) at M = 1 int8 25.6 / 73.1 ->
// 24.7 / 68.4 us (sm80 -> decode), fp8 27.4 / 67.7 -> 24.1 / 66.9 (sm90 -> decode); at M = 8
// fp8 27.6 / 68.5 -> 24.9 / 67.4 but int8 25.9 / 73.9 -> 26.9 / 76.5 (slower: int8 stops at
// M = 1); qkv (10240 rows, one split: 61 %) and gate_up (57344 rows, 3.4 waves: 85 %) are
// slower on the decode kernel (29.7 / 124.9 vs 27.9 / 114.9 int8 at M = 1). At two token
// blocks it lost on down (fp8 73.4 vs 68.5). Not measured where the general family is sm80.
enum class ScaledMmDecodeRoute : int { kGeneral, kSm80, kDecode };
struct ScaledMmDecodeSizeRule {
  int full_decode_max_m;      // 0: never by fill
  ScaledMmDecodeRoute route;
};
inline constexpr double kScaledMmDecodeFullFill = 0.9;
inline constexpr int kScaledMmDecodeSizeMaxM = 16;
inline constexpr ScaledMmDecodeSizeRule kScaledMmDecodeSizeRoute[2][2] = {
    // int8,                           fp8 e4m3
    {{0, ScaledMmDecodeRoute::kGeneral}, {0, ScaledMmDecodeRoute::kDecode}},   // general family sm80
    {{1, ScaledMmDecodeRoute::kSm80}, {8, ScaledMmDecodeRoute::kGeneral}},     // general family sm90
};

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
    // Decode alternative to row 0: 64 weight rows a tile, twice the CTAs, no fix-up.
    {"sm90_swap_w64_t16_k256_pingpong", 64, 16, 256, 1, 1, true, false, false, 0},
};
inline constexpr int kNumSm90ScaledMmConfigs =
    int(sizeof(kSm90ScaledMmConfigs) / sizeof(kSm90ScaledMmConfigs[0]));

inline int sm90_scaled_mm_config(int M, int forced = -1) {
  return scaled_mm_table_row(kSm90ScaledMmConfigs, M, forced);
}

// ------------------------------------------------------------ sm80 / sm89 (mma.sync)
// One table for both operands (int8 on sm_80+, fp8 e4m3 on sm_89+: the same bytes per
// tile) and both outputs. Shared memory per CTA, stages * (tile_m + tile_n) * tile_k
// bytes, stays within the 99 KiB that sm_86 / sm_89 grant a block. tile_k / warp_k > 1
// splits K across the CTA's warps (summed in shared memory by the epilogue). Small-M
// rows keep tile_n at 64 so that N = 8192 still makes 128 CTAs. Warp tiles stay within
// 64 x 32 (64 accumulators a thread): 64 x 64 spills the fp8 kernels' sm_90a build.
struct Sm80ScaledMmConfig {
  const char* name;
  int tile_m, tile_n, tile_k;
  int warp_m, warp_n, warp_k;
  int stages;
  int max_m;  // largest M this row serves (rows are tried in order); 0: never chosen
};

inline constexpr Sm80ScaledMmConfig kSm80ScaledMmConfigs[] = {
    {"sm80_m16_n64_k128_w16x64x64_s5", 16, 64, 128, 16, 64, 64, 5, 16},
    {"sm80_m64_n64_k128_w32x32x128_s5", 64, 64, 128, 32, 32, 128, 5, 64},
    {"sm80_m64_n128_k64_w32x64x64_s5", 64, 128, 64, 32, 64, 64, 5, 128},
    {"sm80_m128_n128_k64_w64x32x64_s5", 128, 128, 64, 64, 32, 64, 5, 1 << 30},
};
inline constexpr int kNumSm80ScaledMmConfigs =
    int(sizeof(kSm80ScaledMmConfigs) / sizeof(kSm80ScaledMmConfigs[0]));

inline int sm80_scaled_mm_config(int M, int forced = -1) {
  return scaled_mm_table_row(kSm80ScaledMmConfigs, M, forced);
}

}  // namespace qgemm
