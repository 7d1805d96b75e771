// The extension's entry to the W8A8 GEMM: picks the kernel family for the current
// device (or the forced one) and forwards. Kernel choice within a family lives in that
// family's dispatch table (include/qgemm/gemm/scaled_mm_dispatch.hpp).
#include <atomic>

#include "ops.hpp"
#include "qgemm/gemm/scaled_mm_dispatch.hpp"
#include "scaled_mm_entries.hpp"

#ifndef QGEMM_WITH_SM90A
#define QGEMM_WITH_SM90A 0
#endif

namespace qgemm::ops {
namespace {

// Compute capability of the current device as 10 * major + minor (cached per device id).
int current_cc() {
  static std::atomic<int> cache[64];
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return -1;
  if (dev >= 0 && dev < 64) {
    const int c = cache[dev].load(std::memory_order_relaxed);
    if (c > 0) return c;
  }
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    return -1;
  const int cc = 10 * major + minor;
  if (dev >= 0 && dev < 64) cache[dev].store(cc, std::memory_order_relaxed);
  return cc;
}

bool sm80_runs(int cc, Operand8 op) { return op == Operand8::kInt8 ? cc >= 80 : cc >= 89; }

}  // namespace

int scaled_mm_resolve_path(int path, int operand) {
  const int cc = current_cc();
  const Operand8 op = Operand8(operand);
  const bool sm90 = QGEMM_WITH_SM90A && cc == 90;
  switch (ScaledMmPath(path)) {
    case ScaledMmPath::kAuto:
      if (sm90) return int(ScaledMmPath::kSm90);
      return sm80_runs(cc, op) ? int(ScaledMmPath::kSm80) : -1;
    case ScaledMmPath::kSm80: return sm80_runs(cc, op) ? path : -1;
    case ScaledMmPath::kSm90: return sm90 ? path : -1;
    case ScaledMmPath::kDecode: return sm80_runs(cc, op) && scaled_mm_decode_built(op) ? path : -1;
  }
  return -1;
}

namespace {

// The family that runs `p`: resolve_path's, except that auto with no forced config sends
// decode sizes where kScaledMmDecodeSizeRoute says (the decode kernel only where it serves
// the shape: K % 64 == 0).
ScaledMmPath family(const ScaledMmParams& p, int path) {
  const int resolved = scaled_mm_resolve_path(path, int(p.operand));
  if (resolved < 0 || ScaledMmPath(path) != ScaledMmPath::kAuto || p.config >= 0 || p.M > kScaledMmDecodeSizeMaxM)
    return ScaledMmPath(resolved);
  // (resolved >= 0: the device runs the operand with mma.sync, so the sm80 and decode kernels can run.)
  const ScaledMmDecodeSizeRule& rule =
      kScaledMmDecodeSizeRoute[ScaledMmPath(resolved) == ScaledMmPath::kSm90][int(p.operand)];
  if (rule.full_decode_max_m > 0 && p.M <= rule.full_decode_max_m && scaled_mm_decode_fills_gpu(p))
    return ScaledMmPath::kDecode;
  switch (rule.route) {
    case ScaledMmDecodeRoute::kSm80: return ScaledMmPath::kSm80;
    case ScaledMmDecodeRoute::kDecode:
      if (scaled_mm_decode_serves(p)) return ScaledMmPath::kDecode;
      break;
    case ScaledMmDecodeRoute::kGeneral: break;
  }
  return ScaledMmPath(resolved);
}

}  // namespace

size_t scaled_mm_workspace_bytes(const ScaledMmParams& p, int path) {
  switch (family(p, path)) {
    case ScaledMmPath::kSm80: return scaled_mm_sm80_workspace_bytes(p);
    case ScaledMmPath::kDecode: return scaled_mm_decode_workspace_bytes(p);
#if QGEMM_WITH_SM90A
    case ScaledMmPath::kSm90: return scaled_mm_sm90_workspace_bytes(p);
#endif
    default: return 0;
  }
}

std::string scaled_mm_plan_string(const ScaledMmParams& p, int path) {
  switch (family(p, path)) {
    case ScaledMmPath::kSm80: return "sm80 " + scaled_mm_sm80_plan(p);
    case ScaledMmPath::kDecode: return "decode " + scaled_mm_decode_plan(p);
#if QGEMM_WITH_SM90A
    case ScaledMmPath::kSm90: return "sm90 " + scaled_mm_sm90_plan(p);
#endif
    default: return "no kernel for this device";
  }
}

int scaled_mm_cuda(const ScaledMmParams& p, int path, uintptr_t stream) {
  const Status s = check_scaled_mm(p);
  if (s != Status::kSuccess) return int(s);
  if (p.M == 0) return int(Status::kSuccess);
  const auto st = reinterpret_cast<cudaStream_t>(stream);
  switch (family(p, path)) {
    case ScaledMmPath::kSm80: return int(scaled_mm_sm80_entry(p, st));
    case ScaledMmPath::kDecode: return int(scaled_mm_decode_entry(p, st));
#if QGEMM_WITH_SM90A
    case ScaledMmPath::kSm90: return int(scaled_mm_sm90_entry(p, st));
#endif
    default: return int(Status::kUnsupported);
  }
}

}  // namespace qgemm::ops
