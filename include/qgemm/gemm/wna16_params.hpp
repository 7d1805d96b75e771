// Parameters of the weight-only GEMM launchers (sm80 wna16_launch.cuh, sm90a
// sm90_wna16_launch.cuh): plain pointers, sizes and strides.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qgemm/gemm/wna16_dispatch.hpp"
#include "qgemm/status.hpp"

namespace qgemm {

struct WnA16Params {
  const void* x;        // [M, K] fp16/bf16, row stride ldx elements, 16-byte aligned rows
  int64_t ldx;
  const void* w;        // kernel-format weights (include/qgemm/layout/)
  const void* scales;   // [K/G, N] activation dtype, contiguous
  const void* zeros;    // [K/G, N] activation dtype (uint4 only), else ignored; nullable
  const void* bias;     // [N] activation dtype; nullable
  void* out;            // [M, N] activation dtype, row stride ldo elements
  int64_t ldo;
  int M, N, K, group_size;
  DType dtype;
  WeightKind kind;
  void* workspace;      // fp32 partials for split-K; nullable if wna16_workspace_bytes() == 0
  size_t workspace_bytes;
  int num_sms;
};

namespace detail {
inline bool aligned(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) % a) == 0; }
}  // namespace detail

}  // namespace qgemm
