// Where the sm90a W4A16 kernel's time goes on one GPU, CTA by CTA: the kernel of
// sm90_wna16_kernel.cuh (int4 g128, fp16, the dispatch's row and schedule) on the Llama-3-70B
// layers, with its mainloop wrapped (TracedMainloop below: the kernel's own code runs
// unchanged) so that one thread of each role stamps %globaltimer at:
//   producer: load() entered / left (the last TMA of the work unit issued);
//   consumer: mma() entered, its first k-tile landed, mma_tail() left;
//   the CTA: its mainloop object built (the kernel's start) and destroyed (its end).
// The gap from one unit's mma_tail to the next unit's mma is the stream-K fix-up and the
// epilogue. Weights are rotated through copies beyond L2 and L2 is flushed before each
// traced launch, as in the benchmark. Writes one CSV row a work unit (stdout, or argv[1]);
// benchmarks/sm90_timeline.py summarises it.
//
//   nvcc -std=c++17 -gencode arch=compute_90a,code=sm_90a -O3 --expt-relaxed-constexpr -DNDEBUG \
//        -Iinclude -isystem <cutlass>/include -o sm90_timeline benchmarks/sm90_timeline.cu
//   ./sm90_timeline timeline.csv [M ...]        (needs an sm_90 GPU; M defaults to 64)
// The dispatch's schedule, or QGEMM_TIMELINE_DECOMPOSITION=d forces CUTLASS's decomposition d
// (0 heuristic, 1 data-parallel, 2 split-K, 3 stream-K), and QGEMM_TIMELINE_REDUCTION=r the
// reduction of split tiles (Sm90Reduction: 1 peer slots, 2 CUTLASS's turnstile).
// One row of kWna16Sm90Configs is compiled (each takes minutes): -DQGEMM_TIMELINE_ROW=r, 1
// (the dispatch's at 33-64 tokens) unless named.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <cuda_runtime.h>

// The library's own kernels are declared extern (src/ instantiates them), so that only the
// traced one compiles here.
#define QGEMM_WNA16_SM90_EXTERN_TEMPLATES
#include "qgemm/gemm/sm90_wna16_launch.cuh"

#ifndef QGEMM_TIMELINE_ROW
#define QGEMM_TIMELINE_ROW 1
#endif

namespace {

constexpr int kMaxCtas = 1024, kMaxUnits = 16;
enum Stamp { kLoadBegin, kLoadEnd, kMmaBegin, kFirstData, kMmaEnd, kStamps };
struct Unit {
  unsigned long long t[kStamps];
  int k_tiles, smid;
};
__device__ Unit g_units[kMaxCtas][kMaxUnits];
__device__ int g_producer_units[kMaxCtas], g_consumer_units[kMaxCtas];
// The CTA's first and last instants: the mainloop object lives for the kernel's whole body
// (the end as the first consumer warpgroup leaves; the second may leave a little later).
__device__ unsigned long long g_cta_span[kMaxCtas][2];

__device__ __forceinline__ unsigned long long now() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ int smid() {
  int s;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(s));
  return s;
}
__device__ __forceinline__ int cta_index() { return blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z); }
__device__ __forceinline__ Unit* unit_of(int* counts, bool advance) {
  const int cta = cta_index();
  if (cta >= kMaxCtas) return nullptr;
  const int u = advance ? counts[cta]++ : counts[cta] - 1;
  return u < kMaxUnits ? &g_units[cta][u] : nullptr;
}

// The kernel's mainloop with stamps around the calls the kernel makes; everything else is
// inherited. Thread 0 is the producer warp's first lane, thread 128 the first consumer's.
template <class Base>
struct TracedMainloop : Base {
  CUTLASS_DEVICE TracedMainloop() {
    if (threadIdx.x == 0 && cta_index() < kMaxCtas) g_cta_span[cta_index()][0] = now();
  }
  CUTLASS_DEVICE ~TracedMainloop() {
    if (threadIdx.x == 128 && cta_index() < kMaxCtas) g_cta_span[cta_index()][1] = now();
  }
  template <class... A>
  CUTLASS_DEVICE void load(A&&... a) {
    Unit* u = threadIdx.x == 0 ? unit_of(g_producer_units, true) : nullptr;
    if (u) u->t[kLoadBegin] = now();
    Base::load(static_cast<A&&>(a)...);
    __syncwarp();  // the lane Base::load elected has issued its last TMA
    if (u) u->t[kLoadEnd] = now();
  }
  template <class Pipeline, class State, class Accum, class Storage, class Params>
  CUTLASS_DEVICE void mma(Pipeline pipeline, State read, Accum& accum, int k_tiles, int thread_idx, Storage& shared,
                          Params const& p) {
    const bool stamp = threadIdx.x == 128;
    const unsigned long long t0 = now();
    // Waiting here for the first k-tile is what Base::mma does first; it then finds it landed.
    pipeline.consumer_wait(read);
    if (stamp) {
      // The consumer's unit index follows the producer's count of the same CTA (one unit
      // each, in order), kept separately so the two roles never race on a counter.
      Unit* u = unit_of(g_consumer_units, true);
      if (u) {
        u->t[kMmaBegin] = t0;
        u->t[kFirstData] = now();
        u->k_tiles = k_tiles;
        u->smid = smid();
      }
    }
    Base::mma(pipeline, read, accum, k_tiles, thread_idx, shared, p);
  }
  template <class... A>
  CUTLASS_DEVICE void mma_tail(A&&... a) {
    Base::mma_tail(static_cast<A&&>(a)...);
    if (threadIdx.x == 128) {
      Unit* u = unit_of(g_consumer_units, false);
      if (u) u->t[kMmaEnd] = now();
    }
  }
};

using T = cutlass::half_t;
constexpr qgemm::WeightKind kKind = qgemm::WeightKind::kInt4;

// Sm90Wna16's kernel with the traced mainloop; its arguments are the same members.
template <int kCfg>
struct Traced {
  using Ref = qgemm::sm90::Sm90Wna16<T, kKind, kCfg>;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>,
                                                      TracedMainloop<typename Ref::CollectiveMainloop>,
                                                      typename Ref::CollectiveEpilogue, typename Ref::TileScheduler>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
  static typename Gemm::Arguments arguments(const qgemm::sm90::Wna16Sm90Args& a, int device) {
    const auto r = Ref::arguments(a, device);
    typename Gemm::Arguments t{r.mode, r.problem_shape, r.mainloop, r.epilogue, r.hw_info};
    t.scheduler = r.scheduler;
    return t;
  }
};

#define CHECK(x)                                                                      \
  do {                                                                                \
    cudaError_t e = (x);                                                              \
    if (e != cudaSuccess) {                                                           \
      std::fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

struct Layer {
  const char* name;
  int n, k;
};

template <int kCfg>
void trace_layer(FILE* csv, const Layer& L, int M, int sms) {
  using G = Traced<kCfg>;
  const int copies = int((256ull << 20) / (size_t(L.n) * L.k / 2) + 1);
  std::vector<void*> w(copies), s(copies);
  for (int i = 0; i < copies; ++i) {
    CHECK(cudaMalloc(&w[i], size_t(L.n) * L.k / 2));
    CHECK(cudaMemset(w[i], 0x35, size_t(L.n) * L.k / 2));
    std::vector<T> scale(size_t(L.n) * (L.k / 128), T(0.01f));
    CHECK(cudaMalloc(&s[i], scale.size() * sizeof(T)));
    CHECK(cudaMemcpy(s[i], scale.data(), scale.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> xh(size_t(M) * L.k, T(0.5f));
  void *x, *out, *flush;
  CHECK(cudaMalloc(&x, xh.size() * sizeof(T)));
  CHECK(cudaMemcpy(x, xh.data(), xh.size() * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMalloc(&out, size_t(M) * L.n * sizeof(T)));
  CHECK(cudaMalloc(&flush, 128 << 20));

  qgemm::Wna16Sm90Schedule schedule = qgemm::wna16_sm90_choose_schedule(M, L.n, L.k, sms, kCfg, kKind);
  if (const char* d = std::getenv("QGEMM_TIMELINE_DECOMPOSITION"))  // CUTLASS's DecompositionMode, forced
    schedule.decomposition = qgemm::Sm90Decomposition(std::atoi(d));
  if (const char* r = std::getenv("QGEMM_TIMELINE_REDUCTION")) schedule.reduction = qgemm::Sm90Reduction(std::atoi(r));
  qgemm::sm90::Wna16Sm90Args a{x, L.k, w[0], s[0], nullptr, nullptr, out, L.n, M, L.n, L.k, 128, sms, schedule};
  size_t ws_bytes = G::Gemm::get_workspace_size(G::arguments(a, 0));
  void* ws = nullptr;
  CHECK(cudaMalloc(&ws, ws_bytes + 16));
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  const int zeros[kMaxCtas] = {};
  float best_ms = 1e9f;
  for (int rep = 0; rep < 2 * copies + 1; ++rep) {
    a.w = w[rep % copies];
    a.scales = s[rep % copies];
    CHECK(cudaMemset(flush, rep, 128 << 20));
    CHECK(cudaMemcpyToSymbol(g_producer_units, zeros, sizeof(zeros)));
    CHECK(cudaMemcpyToSymbol(g_consumer_units, zeros, sizeof(zeros)));
    typename G::Gemm gemm;
    const auto args = G::arguments(a, 0);
    if (gemm.can_implement(args) != cutlass::Status::kSuccess || gemm.initialize(args, ws) != cutlass::Status::kSuccess) {
      std::fprintf(stderr, "%s M=%d: the kernel refused the problem\n", L.name, M);
      std::exit(1);
    }
    CHECK(cudaEventRecord(e0));  // the launch alone: initialize's lock memset is outside
    CHECK(gemm.run() == cutlass::Status::kSuccess ? cudaSuccess : cudaErrorLaunchFailure);
    CHECK(cudaEventRecord(e1));
    CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, e0, e1));
    if (ms < best_ms) best_ms = ms;
  }
  // The last launch's stamps, one row a work unit.
  static Unit units[kMaxCtas][kMaxUnits];
  int pc[kMaxCtas], cc[kMaxCtas];
  static unsigned long long span[kMaxCtas][2];
  CHECK(cudaMemcpyFromSymbol(span, g_cta_span, sizeof(span)));
  CHECK(cudaMemcpyFromSymbol(units, g_units, sizeof(units)));
  CHECK(cudaMemcpyFromSymbol(pc, g_producer_units, sizeof(pc)));
  CHECK(cudaMemcpyFromSymbol(cc, g_consumer_units, sizeof(cc)));
  for (int cta = 0; cta < kMaxCtas; ++cta) {
    if (pc[cta] != cc[cta]) std::fprintf(stderr, "cta %d: %d units loaded, %d computed\n", cta, pc[cta], cc[cta]);
    for (int u = 0; u < cc[cta] && u < kMaxUnits; ++u) {
      const Unit& x = units[cta][u];
      std::fprintf(csv, "%s,%d,%d,%s,%d,%.2f,%d,%d,%d,%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", L.name, M, kCfg,
                   qgemm::kWna16Sm90Configs[kCfg].name, int(schedule.decomposition), best_ms * 1e3f,
                   cta, x.smid, u, x.k_tiles, span[cta][0], x.t[kLoadBegin], x.t[kLoadEnd], x.t[kMmaBegin],
                   x.t[kFirstData], x.t[kMmaEnd], span[cta][1]);
    }
  }
  std::fprintf(stderr, "%-8s M=%-5d row %d decomposition %d: best %.1f us of %d launches\n", L.name, M, kCfg,
               int(schedule.decomposition), best_ms * 1e3f, 2 * copies + 1);
  for (int i = 0; i < copies; ++i) {
    CHECK(cudaFree(w[i]));
    CHECK(cudaFree(s[i]));
  }
  CHECK(cudaFree(x));
  CHECK(cudaFree(out));
  CHECK(cudaFree(flush));
  CHECK(cudaFree(ws));
}

}  // namespace

int main(int argc, char** argv) {
  FILE* csv = argc > 1 ? std::fopen(argv[1], "w") : stdout;
  if (!csv) return 1;
  std::vector<int> ms;
  for (int i = 2; i < argc; ++i) ms.push_back(std::atoi(argv[i]));
  if (ms.empty()) ms.push_back(64);
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const Layer layers[] = {{"qkv", 10240, 8192}, {"o", 8192, 8192}, {"gate_up", 57344, 8192}, {"down", 8192, 28672}};
  std::fprintf(csv, "layer,m,row,row_name,decomposition,kernel_us,cta,smid,unit,k_tiles,cta_begin,load_begin,"
                    "load_end,mma_begin,first_data,mma_end,cta_end\n");
  for (int M : ms) {
    if (qgemm::wna16_sm90_choose_config(M) != QGEMM_TIMELINE_ROW)
      std::fprintf(stderr, "note: the dispatch runs row %d at M = %d; this binary traces row %d\n",
                   qgemm::wna16_sm90_choose_config(M), M, QGEMM_TIMELINE_ROW);
    for (const Layer& L : layers) trace_layer<QGEMM_TIMELINE_ROW>(csv, L, M, sms);
  }
  if (csv != stdout) std::fclose(csv);
  return 0;
}
