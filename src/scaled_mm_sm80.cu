// Placeholder until the sm80-class W8A8 kernels land: every call is refused as
// unsupported (Python turns that into an error naming the device), nothing is computed.
#include "scaled_mm_entries.hpp"

namespace qgemm::ops {

Status scaled_mm_sm80_entry(const ScaledMmParams&, cudaStream_t) { return Status::kUnsupported; }
size_t scaled_mm_sm80_workspace_bytes(const ScaledMmParams&) { return 0; }
std::string scaled_mm_sm80_plan(const ScaledMmParams&) { return "not built"; }

}  // namespace qgemm::ops
