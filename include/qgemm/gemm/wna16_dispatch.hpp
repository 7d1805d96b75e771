// Dispatch for the weight-only (W4A16 / W8A16) mma.sync GEMM: the one place that picks a
// CTA tile configuration and a split-K factor from (M, N, K, number of SMs).
//
// The table is constexpr and shared with the kernels (which take a config index as their
// template parameter), so what is printed is what runs. Host-only code below the table
// needs no CUDA runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>

#include "qgemm/status.hpp"

namespace qgemm {

enum class WeightKind : int { kInt4 = 0, kUint4 = 1, kInt8 = 2 };

// Tiling of the packed weight the sm80 kernel reads: the fragment formats (int4_fragment /
// int8_fragment, k16 x n64 tiles) or the k64 formats (int4_k64 / int8_k64, k64 x n64 blocks,
// the sm90a kernel's). Same bytes per stage either way; only the shared -> register read differs.
enum class WeightTiling : int { kFragment = 0, kK64 = 1 };

struct Wna16TileConfig {
  int bm, bn, bk;                     // CTA tile (M x N x K per pipeline stage)
  int warps_m, warps_n, warps_k;      // warp grid; warp tile = (bm / warps_m) x 64, k split in CTA
  int stages;                         // cp.async pipeline depth
  int max_m;                          // used for M <= max_m (first match wins)
  int regs;                           // register cap / thread (becomes the launch bound, see wna16_ctas_per_sm)
  bool allow_split_k;                 // memory-bound configs: split K to fill the SMs
  const char* name;
};

// Warp tile N is always 64: one 16-byte shared load per lane feeds a k16 x n64 int4 tile
// (two for int8). warps_k > 1 splits each stage's k16 steps over warps, reduced in shared
// memory at the end (gives decode enough warps without a wider N tile).
inline constexpr Wna16TileConfig kWna16Configs[] = {
    //  bm   bn   bk  wm wn wk  st  max_m  regs  split  name
    {16, 128, 128, 1, 2, 2, 4, 16, 128, true, "decode_m16_n128_k128_w1x2x2_s4"},
    {64, 128, 128, 1, 2, 2, 4, 64, 255, true, "small_m64_n128_k128_w1x2x2_s4"},
    {128, 128, 64, 2, 2, 1, 4, 256, 255, false, "mid_m128_n128_k64_w2x2x1_s4"},
    {128, 256, 64, 2, 4, 1, 4, 1 << 30, 255, false, "large_m128_n256_k64_w2x4x1_s4"},
};
inline constexpr int kWna16NumConfigs = int(sizeof(kWna16Configs) / sizeof(kWna16Configs[0]));

constexpr int wna16_threads(const Wna16TileConfig& c) { return 32 * c.warps_m * c.warps_n * c.warps_k; }

// Bytes of one k16 x n64 weight tile in the kernel format.
constexpr int wna16_tile_bytes(WeightKind k) { return k == WeightKind::kInt8 ? 1024 : 512; }

// Shared memory of one pipeline stage: x tile, weight tiles, scale rows (and zero rows).
// Scale rows per stage: bk / 32 (the most groups a stage can span, group size >= 32).
constexpr int wna16_stage_bytes(const Wna16TileConfig& c, WeightKind k) {
  return c.bm * c.bk * 2 + (c.bk / 16) * (c.bn / 64) * wna16_tile_bytes(k) +
         (k == WeightKind::kUint4 ? 2 : 1) * (c.bk / 32) * c.bn * 2;
}
// In-CTA split-K reduction buffer (reuses the pipeline buffers).
constexpr int wna16_reduce_bytes(const Wna16TileConfig& c) {
  return (c.warps_k - 1) * c.warps_m * c.warps_n * (c.bm / c.warps_m) * 64 * 4;
}
constexpr int wna16_smem_bytes(const Wna16TileConfig& c, WeightKind k) {
  return c.stages * wna16_stage_bytes(c, k) > wna16_reduce_bytes(c) ? c.stages * wna16_stage_bytes(c, k)
                                                                      : wna16_reduce_bytes(c);
}

namespace detail {
template <class I>
constexpr I cdiv(I a, I b) { return (a + b - 1) / b; }
}  // namespace detail

// ------------------------------------------------------------------------------------------
// sm90a RS-wgmma kernel (include/qgemm/gemm/sm90_wna16_kernel.cuh) on int4_k64 weights.
// Tiles are (weight rows x tokens x 64): the GEMM runs as out^T = W x^T. Cooperative (two
// consumer warpgroups, 64 weight rows each); stages fill the shared memory left by the
// epilogue. Every int4_k64 weight runs here (prepack's default for int4 / uint4 on sm_90 with
// a 90a build); wna16_sm90_choose_config picks the row by M unless the caller names one.
// ------------------------------------------------------------------------------------------
struct Wna16Sm90Config {
  int tile_w, tile_tok;  // CTA tile: weight rows (N) x tokens (M); K tile 64
  bool stream_k;         // stream-K tile scheduler (else persistent data-parallel)
  int max_m;             // used for M <= max_m (first match wins)
  const char* name;
};

// 256-row tiles (two weight blocks a consumer warpgroup) up to 128 tokens: at 32 / 64 tokens
// 223-268 / 279-310 us on the 70B block against 291-334 / 311-357 with 128 x 64 tiles
// (H200, int4 / uint4 / int8, bench_sm90_rows_h200_1eed2fa.json, bench_sm90_early_h200_18337c4.json);
// at 256 tokens two blocks would need 256 accumulator registers a thread. 129-192 tokens
// take one 192-token tile (96 accumulators a thread): at M = 144 / 192 532 / 564 us (int4
// g128 fp16) against 256 x 128's two token tiles 626 / 680 and cuBLAS fp16 548 / 649; past
// 192 it runs two token tiles (1105 at 208), where 128 x 256 takes over (H200, int4 fp16 /
// uint4 bf16 / int8 fp16, sm90_rows_m129_255_h200_3666879.json).
inline constexpr Wna16Sm90Config kWna16Sm90Configs[] = {
    // tile_w tile_tok stream_k max_m  name
    {256, 32, true, 32, "sm90_w256_t32_coop_streamk"},
    {256, 64, true, 64, "sm90_w256_t64_coop_streamk"},
    {256, 128, true, 128, "sm90_w256_t128_coop_streamk"},
    {128, 192, true, 192, "sm90_w128_t192_coop_streamk"},
    // Stream-K, not persistent: at M <= 1024 the 128-row tiles of a 8192-wide layer leave
    // SMs idle (64 tiles per 256 tokens on 132 SMs; persistent measured 836 us at M = 256
    // on the 70B int8 block, 988e886).
    {128, 256, true, 1 << 30, "sm90_w128_t256_coop_streamk"},
};
inline constexpr int kWna16Sm90NumConfigs = int(sizeof(kWna16Sm90Configs) / sizeof(kWna16Sm90Configs[0]));

inline int wna16_sm90_choose_config(int M) {
  for (int i = 0; i < kWna16Sm90NumConfigs; ++i)
    if (M <= kWna16Sm90Configs[i].max_m) return i;
  return kWna16Sm90NumConfigs - 1;
}

// How the stream-K rows' scheduler spreads output tiles and their k-tiles over the SMs:
// CUTLASS's DecompositionMode (same order), a split-K factor, and the reduction of the
// partial tiles of a split tile:
// - peer slots (gemm/sm90_stream_k_slots.hpp; the dispatch's for 4-bit weights on the rows
//   of up to 128 tokens): each peer stores its partial without waiting, the final peer adds
//   them in k order;
// - CUTLASS's turnstile (the dispatch's elsewhere): peers take turns adding into one partial,
//   in k order;
// - arrival order (CUTLASS's other mode): results vary run to run, measurement only.
// The first two give the same result run after run.
enum class Sm90Decomposition : int { kHeuristic = 0, kDataParallel = 1, kSplitK = 2, kStreamK = 3 };
enum class Sm90Reduction : int { kArrivalOrder = 0, kPeerSlots = 1, kTurnstile = 2 };
struct Wna16Sm90Schedule {
  Sm90Decomposition decomposition = Sm90Decomposition::kHeuristic;
  int splits = 1;  // split-K only
  Sm90Reduction reduction = Sm90Reduction::kTurnstile;  // wna16_sm90_choose_schedule sets it
};

// The dispatch's schedule for a row: CUTLASS's heuristic, except in two cases where it stays
// data-parallel (it splits only tails under half a wave) and stream-K over every SM is faster
// despite its fix-up:
// - All tiles fit one wave that fills half to 70 % of the SMs: qkv of the 70B block at 256
//   tokens (80 tiles of 128 x 256 on 132 SMs) int4 g128 fp16 72.6 us against 80.8 / 84.2,
//   int8 fp16 79.7 against 85.3 / 91.9 (H100, one process,
//   benchmarks/results/bench_schedules_h100_pre_cd3b09b.json; the rule's A/B in
//   bench_schedule_rule_h100_cd3b09b.json).
// - 4-bit weights on the rows of up to 128 tokens, two or more waves with the last one at
//   least half full, under 90 % of the SM time busy: gate_up of the 70B block at 17-128
//   tokens (224 tiles of 256 x 32 / 64 / 128, 85 %). At 64 tokens int4 g128 fp16 124.5-126.6
//   us against 134.4-135.1 (the kernel alone, three passes each,
//   sm90_timeline_m64_{heuristic,stream_k}_p{1,2,3}_h100_e9da723_ramp0.csv); at 32 / 128 tokens 110.1 /
//   199.7 against 114.5 / 204.3 (bench_sk_rows_ramp2_h100_e9da723.json). The int4
//   conversion bounds those rows, so spreading the second wave over every SM pays; int8 is
//   nearer the memory bound there and lost (179.7 against 168.1 at 64 tokens).
// Fuller waves keep the heuristic: forced stream-K lost there (down at 1024 tokens, 256
// tiles: 770 against 675).
// Split tiles are reduced through peer slots for 4-bit weights on the rows of up to 128 tokens,
// by CUTLASS's turnstile elsewhere (H100, one process, benchmarks/results/bench_slots_ab_h100_bb1d5bb.json,
// 70B block): int4 g128 fp16 at 64 tokens 288.4 us against 301.7 (every layer stream-K either
// way; gate_up 141.0 against 148.6), where peers end their mainloops together and queue in
// the turnstile; int8 per-channel at 32 / 64 tokens 347.1 / 360.1 against 334.1 / 349.6 (qkv,
// o, down each 2-7 us slower): its memory-bound peers end apart, and the final peer reading
// every slot costs more than the turnstile's one partial. int4 at 32 tokens within 3 us either
// way; at 256 tokens (128 x 256 tiles, split only in tail waves) 3 us behind, so the larger
// rows keep the turnstile.
inline Wna16Sm90Schedule wna16_sm90_choose_schedule(int M, int N, int K, int num_sms, int cfg, WeightKind kind) {
  Wna16Sm90Schedule s;  // the heuristic and the turnstile unless a rule below says otherwise
  if (cfg < 0 || cfg >= kWna16Sm90NumConfigs) return s;
  const auto& c = kWna16Sm90Configs[cfg];
  const bool four_bit_small_row = kind != WeightKind::kInt8 && c.tile_tok <= 128;
  if (four_bit_small_row) s.reduction = Sm90Reduction::kPeerSlots;
  if (!c.stream_k || num_sms <= 0) return s;
  const long sms = num_sms;
  const long tiles = long(detail::cdiv(N, c.tile_w)) * detail::cdiv(M, c.tile_tok);
  const long waves = detail::cdiv(tiles, sms);
  const long last_wave = tiles - (waves - 1) * sms;
  const bool split_worth_it = K / 64 > 8;  // CUTLASS splits no tile of 8 k-tiles or fewer
  const bool one_short_wave = waves == 1 && 2 * tiles >= sms && 10 * tiles < 7 * sms;
  const bool four_bit_waves = four_bit_small_row && waves >= 2 && 2 * last_wave >= sms && 10 * tiles < 9 * waves * sms;
  if (split_worth_it && (one_short_wave || four_bit_waves)) s.decomposition = Sm90Decomposition::kStreamK;
  return s;
}

// ------------------------------------------------------------------------------------------
// Plan: config + split-K factor.
// ------------------------------------------------------------------------------------------
struct Wna16Plan {
  int config;      // index into kWna16Configs
  int splits;      // split-K factor (1: no workspace, bias + cast in the GEMM epilogue)
  int m_tiles, n_tiles, k_iters;
};

// CTAs of config c resident per SM (A100/H100-class: 64K regs, 227 KB smem, 64 warps):
// the smaller of the shared-memory bound and the table's register cap. The kernel takes
// this as its __launch_bounds__ minimum, so ptxas may use up to 64K / (threads * ctas)
// registers: where shared memory already limits residency, the cap is relaxed for free.
constexpr int wna16_ctas_per_sm(const Wna16TileConfig& c, WeightKind k) {
  const int smem = wna16_smem_bytes(c, k) + 1024;  // + per-CTA reserved smem
  const int by_smem = (227 * 1024) / smem;
  const int by_regs = 65536 / (wna16_threads(c) * c.regs);
  const int by_warps = 64 / (wna16_threads(c) / 32);
  const int n0 = by_smem < by_regs ? by_smem : by_regs;
  const int n = n0 < by_warps ? n0 : by_warps;
  return n < 1 ? 1 : n;
}

// Split-K choice, smallest estimated time wins (ties, within 2%, go to fewer splits).
//
// Memory-bound configs (allow_split_k): a CTA moves `iter_bytes` of weights per
// k-iteration; an SM needs about kBytesInFlightPerSm outstanding to stream at full
// bandwidth, i.e. `target` CTAs in total run at bandwidth speed; fewer are latency bound
// (each takes iters + fill), more share the bandwidth. Partials cost 4 B written + read
// per split per output element, in the same bandwidth units.
//
// Compute-bound configs: CTAs on one SM share its tensor cores, so time ~ (CTAs on the
// busiest SM) x (iterations per CTA); partials cost bytes / kHbmBytesPerUs against
// k-iterations that take flops / (kMmaFlopsPerUs / num_sms). Up to 4 splits, and only
// when the tiles alone leave SMs idle.
inline int wna16_choose_splits(const Wna16TileConfig& c, WeightKind kind, int M, int N, int K,
                               int num_sms) {
  if (num_sms <= 0) return 1;
  const int tiles = detail::cdiv(M, c.bm) * detail::cdiv(N, c.bn);  // last N tile may be partial
  const int nk = K / c.bk;
  const int fill = c.stages - 1;
  int best = 1;
  double best_t = 1e300;

  if (!c.allow_split_k) {
    if (tiles >= num_sms) return 1;
    constexpr double kMmaFlopsPerUs = 550e6;  // mma.sync fp16/bf16, H100-class, sustained
    constexpr double kHbmBytesPerUs = 3.0e6;
    const double iter_us = 2.0 * c.bm * c.bn * c.bk / (kMmaFlopsPerUs / num_sms);
    for (int s = 1; s <= 4 && nk / s >= 4; ++s) {
      const long long ctas = (long long)tiles * s;
      double t = double((ctas + num_sms - 1) / num_sms) * (detail::cdiv(nk, s) + fill) * iter_us;
      if (s > 1) t += double(M) * N * 4.0 * (2 * s + 1) / kHbmBytesPerUs;
      if (t < best_t * 0.98) { best_t = t; best = s; }
    }
    return best;
  }

  const int slots = num_sms * wna16_ctas_per_sm(c, kind);
  const double iter_bytes = double(c.bn) * c.bk * (kind == WeightKind::kInt8 ? 1.0 : 0.5);
  // 40 KiB, checked against forced factors on H100 (benchmarks/wna16_splits_sweep.py,
  // benchmarks/results/splits_*_0eb4a97.json): 80 KiB picked 6-8 splits for the small int4
  // layers (up to 5 us faster at M = 1, slower at M = 16) and 3-4 for int8 (slower); within
  // ~2 % of the best forced factor either way.
  constexpr double kBytesInFlightPerSm = 40.0 * 1024;
  const double per_cta_inflight = (c.stages - 1) * iter_bytes;
  double target = num_sms * kBytesInFlightPerSm / per_cta_inflight;
  if (target > slots) target = slots;
  if (target < 1) target = 1;
  for (int s = 1; s <= 16 && s <= nk; ++s) {
    if (s > 1 && nk / s < 2) break;  // at least two k-iterations per split
    const int iters = detail::cdiv(nk, s);
    const long long ctas = (long long)tiles * s;
    const long long full = ctas / slots, rem = ctas % slots;
    auto wave = [&](double conc) { return (iters + fill) * (conc > target ? conc / target : 1.0); };
    double t = full * wave(double(slots)) + (rem ? wave(double(rem)) : 0.0);
    if (s > 1) t += (double(M) * N * 4.0 * (2 * s + 1)) / (target * iter_bytes);
    if (t < best_t * 0.98) { best_t = t; best = s; }
  }
  return best;
}

inline int wna16_choose_config(int M) {
  for (int i = 0; i < kWna16NumConfigs; ++i)
    if (M <= kWna16Configs[i].max_m) return i;
  return kWna16NumConfigs - 1;
}

inline Wna16Plan wna16_plan(int M, int N, int K, int num_sms, WeightKind kind = WeightKind::kInt4) {
  Wna16Plan p{};
  p.config = wna16_choose_config(M);
  const Wna16TileConfig& c = kWna16Configs[p.config];
  p.m_tiles = detail::cdiv(M, c.bm);
  p.n_tiles = detail::cdiv(N, c.bn);  // N % 64 == 0 only: the last tile may be partial
  p.k_iters = K / c.bk;
  p.splits = wna16_choose_splits(c, kind, M, N, K, num_sms);
  return p;
}

// fp32 partials [splits, M, N] when split; 0 otherwise. The bound over all weight kinds
// is returned so one workspace serves any kind for these sizes.
inline size_t wna16_workspace_bytes(int M, int N, int K, int num_sms) {
  if (M <= 0 || N <= 0 || K <= 0) return 0;
  size_t need = 0;
  for (WeightKind k : {WeightKind::kInt4, WeightKind::kUint4, WeightKind::kInt8}) {
    const Wna16Plan p = wna16_plan(M, N, K, num_sms, k);
    const size_t b = p.splits > 1 ? size_t(p.splits) * size_t(M) * size_t(N) * sizeof(float) : 0;
    need = b > need ? b : need;
  }
  return need;
}

// Print the table, and the plans for a few shapes if given (benchmarks call this).
inline void wna16_print_dispatch(std::FILE* f, int num_sms, const int* Ms = nullptr, int nM = 0,
                                 const int (*NK)[2] = nullptr, int nNK = 0) {
  std::fprintf(f, "wna16 sm80 mma.sync configs (num_sms=%d):\n", num_sms);
  std::fprintf(f, "  #  %-34s max_m  threads  smem(int4/uint4/int8)  ctas/SM(int4)\n", "name");
  for (int i = 0; i < kWna16NumConfigs; ++i) {
    const auto& c = kWna16Configs[i];
    std::fprintf(f, "  %d  %-34s %6d  %7d  %6d/%6d/%6d  %d\n", i, c.name, c.max_m < (1 << 30) ? c.max_m : -1,
                 wna16_threads(c), wna16_smem_bytes(c, WeightKind::kInt4), wna16_smem_bytes(c, WeightKind::kUint4),
                 wna16_smem_bytes(c, WeightKind::kInt8), wna16_ctas_per_sm(c, WeightKind::kInt4));
  }
  std::fprintf(f, "wna16 sm90a wgmma configs (int4_k64 weights, row by M):\n");
  for (int i = 0; i < kWna16Sm90NumConfigs; ++i) {
    const auto& c = kWna16Sm90Configs[i];
    std::fprintf(f, "  %d  %-34s max_m %6d  tile %dx%dx64  %s\n", i, c.name,
                 c.max_m < (1 << 30) ? c.max_m : -1, c.tile_w, c.tile_tok, c.stream_k ? "stream-K" : "persistent");
  }
  for (int a = 0; a < nNK; ++a)
    for (int b = 0; b < nM; ++b) {
      const Wna16Plan p = wna16_plan(Ms[b], NK[a][0], NK[a][1], num_sms);
      std::fprintf(f, "  M=%-5d N=%-6d K=%-6d -> config %d (%s), splits %d, grid %d x %d\n", Ms[b], NK[a][0],
                   NK[a][1], p.config, kWna16Configs[p.config].name, p.splits, p.m_tiles * p.n_tiles, p.splits);
    }
}

}  // namespace qgemm
