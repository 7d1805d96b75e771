// The sm80-class W8A8 entry (mma.sync: int8 on sm_80+, fp8 e4m3 on sm_89+): the dispatch
// table picks a row, the operand and output types pick the translation unit that holds
// its kernel. The fp8 units exist only when an sm_89+ architecture is built
// (QGEMM_WITH_SM89_FP8); without them fp8 is unsupported.
#include "scaled_mm_entries.hpp"
#include "qgemm/gemm/scaled_mm_dispatch.hpp"

#ifndef QGEMM_WITH_SM89_FP8
#define QGEMM_WITH_SM89_FP8 0
#endif

namespace qgemm::ops {
namespace sm80 {
#define QGEMM_DECLARE(name)                                                   \
  Status run_##name(const ScaledMmParams& p, int cfg, cudaStream_t stream); \
  size_t workspace_##name(const ScaledMmParams& p, int cfg);
QGEMM_DECLARE(i8_f16)
QGEMM_DECLARE(i8_bf16)
#if QGEMM_WITH_SM89_FP8
QGEMM_DECLARE(e4m3_f16)
QGEMM_DECLARE(e4m3_bf16)
#endif
#undef QGEMM_DECLARE

bool fp8(const ScaledMmParams& p) { return p.operand == Operand8::kFp8E4M3; }
bool bf16(const ScaledMmParams& p) { return p.out_dtype == DType::kBFloat16; }

}  // namespace sm80

Status scaled_mm_sm80_entry(const ScaledMmParams& p, cudaStream_t stream) {
  const int cfg = sm80_scaled_mm_config(p.M, p.config);
  if (cfg < 0) return Status::kInvalidArgument;
  if (!sm80::fp8(p)) return sm80::bf16(p) ? sm80::run_i8_bf16(p, cfg, stream) : sm80::run_i8_f16(p, cfg, stream);
#if QGEMM_WITH_SM89_FP8
  return sm80::bf16(p) ? sm80::run_e4m3_bf16(p, cfg, stream) : sm80::run_e4m3_f16(p, cfg, stream);
#else
  return Status::kUnsupported;
#endif
}

size_t scaled_mm_sm80_workspace_bytes(const ScaledMmParams& p) {
  const int cfg = sm80_scaled_mm_config(p.M, p.config);
  if (cfg < 0) return 0;
  if (!sm80::fp8(p)) return sm80::bf16(p) ? sm80::workspace_i8_bf16(p, cfg) : sm80::workspace_i8_f16(p, cfg);
#if QGEMM_WITH_SM89_FP8
  return sm80::bf16(p) ? sm80::workspace_e4m3_bf16(p, cfg) : sm80::workspace_e4m3_f16(p, cfg);
#else
  return 0;
#endif
}

std::string scaled_mm_sm80_plan(const ScaledMmParams& p) {
  if (sm80::fp8(p) && !QGEMM_WITH_SM89_FP8) return "no fp8 kernels (no sm_89+ architecture built)";
  const int cfg = sm80_scaled_mm_config(p.M, p.config);
  return cfg < 0 ? std::string("no row") : std::string(kSm80ScaledMmConfigs[cfg].name);
}

}  // namespace qgemm::ops
