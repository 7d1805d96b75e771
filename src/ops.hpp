// Host-visible entry points of the extension: plain C++ (no CUDA types, no torch), so
// that the pybind11 module compiles with the host compiler. Pointers arrive as the
// integers torch's data_ptr() returns; streams as the integer cuda_stream handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "qgemm/gemm/scaled_mm_params.hpp"

namespace qgemm::ops {

// Tiled weight formats (include/qgemm/layout/; src/tiled_formats.hpp maps a code to its
// layout). The sm80 mma.sync kernel reads all four (wna16_gemm_cuda, tiling 0: fragment,
// 1: k64), the sm90a wgmma kernel the k64 ones (wna16_sm90_gemm_cuda); all have host / GPU
// packers and a dequantizer.
enum class TiledFormat : int { kInt4Fragment = 0, kInt8Fragment = 1, kInt4K64 = 2, kInt8K64 = 3 };

// Host packers (CPU tensors). codes: [N, K] one code per byte, row-major.
void pack_tiled_host(TiledFormat f, const uint8_t* codes, int64_t N, int64_t K, uint32_t xor_mask,
                     uint32_t* packed);
void unpack_tiled_host(TiledFormat f, const uint32_t* packed, int64_t N, int64_t K,
                       uint32_t xor_mask, bool sign_extend, uint8_t* codes);
void pack_tc_fpx_host(const uint8_t* codes, int64_t N, int64_t K, int nbits, uint8_t* packed);
void unpack_tc_fpx_host(const uint8_t* packed, int64_t N, int64_t K, int nbits, uint8_t* codes);

// GPU counterparts (same bytes), asynchronous on `stream`. Return a qgemm::Status as int.
int pack_tiled_cuda(TiledFormat f, const uint8_t* codes, int64_t N, int64_t K, uint32_t xor_mask,
                    uint32_t* packed, uintptr_t stream);
int pack_tc_fpx_cuda(const uint8_t* codes, int64_t N, int64_t K, int nbits, uint8_t* packed,
                     uintptr_t stream);
// Checkpoint packings straight into int4_fragment (one pass, no unpacked codes):
// AWQ qweight int32 [K, N/8]; GPTQ qweight int32 [K/8, N] with an optional act-order perm.
int pack_int4_from_awq_cuda(const int32_t* qweight, int64_t N, int64_t K, uint32_t* packed,
                            uintptr_t stream);
int pack_int4_from_gptq_cuda(const int32_t* qweight, const int64_t* perm, int64_t N, int64_t K,
                             uint32_t* packed, uintptr_t stream);

// Tiled format -> dense [N, K] (row stride ldo) in fp16 (dtype 0) or bf16 (dtype 1):
// w = (u - z) * s with scales / zeros [K / group_size, N]; zeros == nullptr means the
// constant `zero`.
int dequantize_tiled_cuda(TiledFormat f, int dtype, const void* packed, const void* scales,
                          const void* zeros, float zero, int64_t N, int64_t K, int group_size,
                          void* out, int64_t ldo, uintptr_t stream);

// Programmatic dependent launch (include/qgemm/dependent_launch.cuh): the process-wide
// switch, and whether the kernels of this build use it on the current device.
void set_dependent_launch(bool on);
bool dependent_launch_enabled();
bool dependent_launch_active();

// Weight-only GEMM (include/qgemm/gemm/wna16_launch.cuh): dtype 0 fp16 / 1 bf16,
// kind 0 int4 / 1 uint4 / 2 int8, tiling 0 fragment formats / 1 k64 formats.
size_t wna16_workspace_bytes(int M, int N, int K, int num_sms);
// The dispatch decision (include/qgemm/gemm/wna16_dispatch.hpp) in words, for benchmarks.
std::string wna16_plan_string(int M, int N, int K, int num_sms, int kind);
// splits: a split-K factor to force (benchmarks; the workspace must hold splits x M x N
// floats), 0: the dispatch's choice.
int wna16_gemm_cuda(int dtype, int kind, int tiling, const void* x, int64_t ldx, const void* w,
                    const void* scales, const void* zeros, const void* bias, void* out,
                    int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                    size_t workspace_bytes, int num_sms, int splits, uintptr_t stream);

// k64 decode GEMM (include/qgemm/gemm/k64_decode_launch.cuh): M <= 16 on int4_k64 /
// int8_k64 weights, sm_80+. Same arguments as wna16_gemm_cuda without the tiling (k64).
size_t wna16_decode_workspace_bytes(int M, int N, int K, int num_sms);
std::string wna16_decode_plan_string(int kind, int M, int N, int K, int num_sms, int forced_splits);
int wna16_decode_gemm_cuda(int dtype, int kind, const void* x, int64_t ldx, const void* w, const void* scales,
                           const void* zeros, const void* bias, void* out, int64_t ldo, int M, int N, int K,
                           int group_size, void* workspace, size_t workspace_bytes, int num_sms, int splits,
                           uintptr_t stream);

// sm90a W4A16 GEMM on int4_k64 weights (include/qgemm/gemm/sm90_wna16_launch.cuh).
// config: a row of kWna16Sm90Configs or -1 (chosen by M). decomposition: -1 for the
// dispatch's schedule, else a Sm90Decomposition with splits (split-K) and a Sm90Reduction
// (0 arrival order: measurement only; 1 peer slots; 2 CUTLASS's turnstile). Returns kUnsupported (2) where the
// build has no 90a kernels or the device is not sm_90.
size_t wna16_sm90_workspace_bytes(int M, int N, int K, int num_sms, int config, int decomposition, int splits,
                                  int reduction);
std::string wna16_sm90_configs_string();
// The dispatch's decomposition (Sm90Decomposition) for these sizes, row and weight kind
// (0 int4, 1 uint4, 2 int8); -1 without 90a, or for a row or kind that does not exist.
int wna16_sm90_schedule(int M, int N, int K, int num_sms, int config, int kind);
// The dispatch's reduction of split tiles (Sm90Reduction: 1 peer slots, 2 turnstile); -1 as above.
int wna16_sm90_reduction(int M, int N, int K, int num_sms, int config, int kind);
int wna16_sm90_gemm_cuda(int dtype, int kind, const void* x, int64_t ldx, const void* w,
                         const void* scales, const void* zeros, const void* bias, void* out,
                         int64_t ldo, int M, int N, int K, int group_size, void* workspace,
                         size_t workspace_bytes, int num_sms, int config, int decomposition, int splits,
                         int reduction, uintptr_t stream);

// ---------------------------------------------------------------- W8A8 GEMM

// Which kernel family runs a W8A8 GEMM: the best one for the current device and M, or one
// forced (tests and benchmarks). sm90: wgmma (built for 90a, runs on sm_90 only);
// sm80: mma.sync (int8 on sm_80+, fp8 on sm_89+); decode: the M <= 16 mma.sync kernel
// (same architectures as sm80). Unforced, decode sizes go where kScaledMmDecodeSizeRoute
// (scaled_mm_dispatch.hpp, by measurement) says.
enum class ScaledMmPath : int { kAuto = 0, kSm80 = 1, kSm90 = 2, kDecode = 3 };

// The family `path` resolves to on the current device for any M, or -1 if none can run
// `operand` (auto: the device's general family; scaled_mm_cuda may still pick decode by M).
int scaled_mm_resolve_path(int path, int operand);
size_t scaled_mm_workspace_bytes(const ScaledMmParams& p, int path);
std::string scaled_mm_plan_string(const ScaledMmParams& p, int path);
int scaled_mm_cuda(const ScaledMmParams& p, int path, uintptr_t stream);

}  // namespace qgemm::ops
