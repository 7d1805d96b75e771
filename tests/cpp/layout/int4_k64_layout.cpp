// Host checks of the int4_k64 layout (include/qgemm/layout/int4_k64.hpp) straight against
// CuTe's MMA atoms and the formula of docs/design/sm90_wna16.md, section 3:
//   nibble ((32 q + t) * 4 + j) * 8 + 4 e + rm + 2 rk of a block holds W[n, k],
//   n = 16 q + 8 rm + t / 4,  k = 16 j + 8 rk + 2 (t % 4) + e.
// Every check over the 4096 nibbles of a block also runs at compile time.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <qgemm/layout/int4_k64.hpp>
#include <qgemm/layout/mma_fragments.hpp>

namespace {

using qgemm::layout::Int4K64;
constexpr auto kStorage = qgemm::layout::detail::int4_k64_storage();

// The formula, written out: the block offset n + 64 k that nibble s holds.
constexpr int formula(int s) {
  const int p = s % 4, e = (s / 4) % 2, j = (s / 8) % 4, thread = s / 32;
  const int rm = p % 2, rk = p / 2, q = thread / 32, t = thread % 32;
  const int n = 16 * q + 8 * rm + t / 4, k = 16 * j + 8 * rk + 2 * (t % 4) + e;
  return n + 64 * k;
}

constexpr bool matches_formula() {
  for (int s = 0; s < 4096; ++s)
    if (kStorage(s) != formula(s)) return false;
  return true;
}

// Each block offset is held by exactly one nibble.
constexpr bool is_bijection() {
  bool seen[4096] = {};
  for (int s = 0; s < 4096; ++s) {
    const int o = kStorage(s);
    if (o < 0 || o >= 4096 || seen[o]) return false;
    seen[o] = true;
  }
  return true;
}

// wgmma: thread tid's word j, value v = e + 2 rm + 4 rk of ALayout (its register order),
// is the A element the atom gives that thread at k16 step j.
constexpr bool matches_wgmma_alayout() {
  constexpr auto a = qgemm::layout::wgmma_a_fragment();  // (T128, V8) -> m + 64 k
  for (int tid = 0; tid < 128; ++tid)
    for (int j = 0; j < 4; ++j)
      for (int v = 0; v < 8; ++v) {
        const int e = v % 2, rm = (v / 2) % 2, rk = v / 4;
        const int s = (tid * 4 + j) * 8 + 4 * e + rm + 2 * rk;
        if (kStorage(s) != a(tid, v) + 1024 * j) return false;
      }
  return true;
}

// mma.sync m16n8k16 with W as B: lane t of chunk q, word j, pairs (p0, p2) are the B
// fragment (e, r) of n8 block 2 q at k16 step j, pairs (p1, p3) that of block 2 q + 1.
constexpr bool matches_mma_sync_b() {
  constexpr auto b = qgemm::layout::b_fragment_in_tile<64>();  // (lane, (e, r)) -> n + 64 k
  for (int q = 0; q < 4; ++q)
    for (int t = 0; t < 32; ++t)
      for (int j = 0; j < 4; ++j)
        for (int sub = 0; sub < 2; ++sub)
          for (int e = 0; e < 2; ++e)
            for (int r = 0; r < 2; ++r) {
              const int s = ((32 * q + t) * 4 + j) * 8 + 4 * e + sub + 2 * r;
              if (kStorage(s) != b(t, e + 2 * r) + 8 * (2 * q + sub) + 1024 * j) return false;
            }
  return true;
}

static_assert(matches_formula(), "int4_k64 storage differs from the design formula");
static_assert(is_bijection(), "int4_k64 storage must cover a block once");
static_assert(matches_wgmma_alayout(), "int4_k64 storage differs from the wgmma A layout");
static_assert(matches_mma_sync_b(), "int4_k64 words are not mma.sync B fragments");

int fail(const char* what) {
  std::printf("int4_k64: %s FAILED\n", what);
  return 1;
}

}  // namespace

int main() {
  // The same checks at run time (a constexpr evaluator bug must not hide a failure).
  if (!matches_formula()) return fail("formula");
  if (!is_bijection()) return fail("bijection");
  if (!matches_wgmma_alayout()) return fail("wgmma ALayout");
  if (!matches_mma_sync_b()) return fail("mma.sync B fragments");

  // locate (CuTe's right_inverse) inverts coords over a multi-block weight.
  const int64_t N = 192, K = 128;
  for (int64_t w = 0; w < Int4K64::num_words(N, K); ++w)
    for (int v = 0; v < Int4K64::kValuesPerWord; ++v) {
      int64_t n, k, w2;
      int v2;
      Int4K64::coords(w, v, N, n, k);
      Int4K64::locate(n, k, N, w2, v2);
      if (w2 != w || v2 != v) return fail("locate(coords)");
    }

  // pack / unpack round trip, int4 stored as q + 8.
  std::mt19937 rng(11);
  std::vector<uint8_t> codes(N * K), back(N * K);
  for (auto& c : codes) c = uint8_t(int8_t(int(rng() % 16) - 8));
  std::vector<uint32_t> packed(Int4K64::num_words(N, K));
  for (int64_t w = 0; w < int64_t(packed.size()); ++w)
    packed[w] = Int4K64::pack_word(codes.data(), N, K, w, 0x8);
  for (int64_t w = 0; w < int64_t(packed.size()); ++w)
    Int4K64::unpack_word(packed[w], back.data(), N, K, w, 0x8, true);
  if (back != codes) return fail("round trip");
  // Block (kt = 1, nt = 2) starts at word (1 * 3 + 2) * 512; its nibble s holds
  // W[128 + o % 64, 64 + o / 64] + 8 with o = formula(s).
  for (int s = 0; s < 4096; ++s) {
    const uint32_t word = packed[(1 * 3 + 2) * 512 + s / 8];
    const int o = formula(s);
    const uint32_t want = (codes[(128 + o % 64) * K + 64 + o / 64] ^ 0x8u) & 0xFu;
    if (((word >> (4 * (s % 8))) & 0xFu) != want) return fail("block (1, 2) bytes");
  }
  std::printf("int4_k64: formula, bijection, wgmma ALayout, mma.sync B, locate, round trip: ok\n");
  return 0;
}
