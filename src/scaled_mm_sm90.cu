// The sm90a W8A8 entry: the dispatch table picks a row, the operand and output types
// pick the translation unit that holds its kernel.
#include "scaled_mm_entries.hpp"
#include "qgemm/gemm/scaled_mm_dispatch.hpp"

namespace qgemm::ops {
namespace sm90 {
#define QGEMM_DECLARE(name)                                                   \
  Status run_##name(const ScaledMmParams& p, int cfg, cudaStream_t stream); \
  size_t workspace_##name(const ScaledMmParams& p, int cfg);
QGEMM_DECLARE(i8_f16)
QGEMM_DECLARE(i8_bf16)
QGEMM_DECLARE(e4m3_f16)
QGEMM_DECLARE(e4m3_bf16)
#undef QGEMM_DECLARE

// 0..3: (int8, fp16), (int8, bf16), (e4m3, fp16), (e4m3, bf16).
int type_pair(const ScaledMmParams& p) {
  return 2 * int(p.operand == Operand8::kFp8E4M3) + int(p.out_dtype == DType::kBFloat16);
}

}  // namespace sm90

Status scaled_mm_sm90_entry(const ScaledMmParams& p, cudaStream_t stream) {
  const int cfg = sm90_scaled_mm_config(p.M, p.config);
  if (cfg < 0) return Status::kInvalidArgument;
  switch (sm90::type_pair(p)) {
    case 0: return sm90::run_i8_f16(p, cfg, stream);
    case 1: return sm90::run_i8_bf16(p, cfg, stream);
    case 2: return sm90::run_e4m3_f16(p, cfg, stream);
    default: return sm90::run_e4m3_bf16(p, cfg, stream);
  }
}

size_t scaled_mm_sm90_workspace_bytes(const ScaledMmParams& p) {
  const int cfg = sm90_scaled_mm_config(p.M, p.config);
  if (cfg < 0) return 0;
  switch (sm90::type_pair(p)) {
    case 0: return sm90::workspace_i8_f16(p, cfg);
    case 1: return sm90::workspace_i8_bf16(p, cfg);
    case 2: return sm90::workspace_e4m3_f16(p, cfg);
    default: return sm90::workspace_e4m3_bf16(p, cfg);
  }
}

std::string scaled_mm_sm90_plan(const ScaledMmParams& p) {
  const int cfg = sm90_scaled_mm_config(p.M, p.config);
  return cfg < 0 ? std::string("no row") : std::string(kSm90ScaledMmConfigs[cfg].name);
}

}  // namespace qgemm::ops
