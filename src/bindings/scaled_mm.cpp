// pybind11 face of the W8A8 GEMM: a ScaledMmParams built from integers and pointers.
#include <pybind11/pybind11.h>

#include <string>

#include "../ops.hpp"

namespace py = pybind11;

namespace qgemm::ops {
namespace {

// Shape-only params for the workspace and plan queries.
ScaledMmParams shape_params(int M, int N, int K, int operand, int out_dtype, bool azp, int num_sms,
                            int config) {
  ScaledMmParams p{};
  p.config = config;
  p.M = M;
  p.N = N;
  p.K = K;
  p.operand = Operand8(operand);
  p.out_dtype = DType(out_dtype);
  p.azp = azp ? reinterpret_cast<const int32_t*>(uintptr_t(16)) : nullptr;
  p.num_sms = num_sms;
  return p;
}

// A launch's params: the shape's, plus the operands, scales and workspace.
ScaledMmParams make_params(int operand, int out_dtype, uintptr_t a, int64_t lda, uintptr_t b,
                           int64_t ldb, uintptr_t a_scale, bool a_per_token, uintptr_t b_scale,
                           bool b_per_channel, uintptr_t bias, uintptr_t azp, bool azp_per_token,
                           uintptr_t b_colsum, uintptr_t out, int64_t ldo, int M, int N, int K,
                           uintptr_t workspace, size_t workspace_bytes, int num_sms) {
  ScaledMmParams p = shape_params(M, N, K, operand, out_dtype, false, num_sms, ScaledMmParams{}.config);
  p.a = reinterpret_cast<const void*>(a);
  p.lda = lda;
  p.b = reinterpret_cast<const void*>(b);
  p.ldb = ldb;
  p.a_scale = reinterpret_cast<const float*>(a_scale);
  p.a_per_token = a_per_token;
  p.b_scale = reinterpret_cast<const float*>(b_scale);
  p.b_per_channel = b_per_channel;
  p.bias = reinterpret_cast<const void*>(bias);
  p.azp = reinterpret_cast<const int32_t*>(azp);
  p.azp_per_token = azp_per_token;
  p.b_colsum = reinterpret_cast<const int32_t*>(b_colsum);
  p.out = reinterpret_cast<void*>(out);
  p.ldo = ldo;
  p.workspace = reinterpret_cast<void*>(workspace);
  p.workspace_bytes = workspace_bytes;
  return p;
}

}  // namespace

void bind_scaled_mm(py::module_& m) {
  m.def("scaled_mm_resolve_path", &scaled_mm_resolve_path);
  m.def("scaled_mm_workspace_bytes", [](int M, int N, int K, int operand, int out_dtype, bool azp,
                                        int num_sms, int path, int config) {
    return scaled_mm_workspace_bytes(shape_params(M, N, K, operand, out_dtype, azp, num_sms, config),
                                     path);
  });
  m.def("scaled_mm_plan", [](int M, int N, int K, int operand, int out_dtype, bool azp, int num_sms,
                             int path, int config) {
    return scaled_mm_plan_string(shape_params(M, N, K, operand, out_dtype, azp, num_sms, config), path);
  });
  m.def("scaled_mm", [](int operand, int out_dtype, uintptr_t a, int64_t lda, uintptr_t b, int64_t ldb,
                        uintptr_t a_scale, bool a_per_token, uintptr_t b_scale, bool b_per_channel,
                        uintptr_t bias, uintptr_t azp, bool azp_per_token, uintptr_t b_colsum,
                        uintptr_t out, int64_t ldo, int M, int N, int K, uintptr_t workspace,
                        size_t workspace_bytes, int num_sms, int path, int config, uintptr_t stream) {
    ScaledMmParams p = make_params(operand, out_dtype, a, lda, b, ldb, a_scale, a_per_token,
                                         b_scale, b_per_channel, bias, azp, azp_per_token, b_colsum,
                                         out, ldo, M, N, K, workspace, workspace_bytes, num_sms);
    p.config = config;
    return scaled_mm_cuda(p, path, stream);
  });
}

}  // namespace qgemm::ops
