// pybind11 face of the activation-quantization kernels (quant_ops.hpp). Arguments are
// integers and pointers; python/qgemm/activation_quant.py validates before calling.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "../quant_ops.hpp"

namespace py = pybind11;

namespace {
template <class T>
T* ptr(uintptr_t p) {
  return reinterpret_cast<T*>(p);
}
}  // namespace

namespace qgemm::ops {

void bind_quant(py::module_& m) {
  m.def("per_token_quant", [](int kind, int dtype, uintptr_t x, int64_t ldx, uintptr_t q, int64_t ldq,
                              uintptr_t scale, uintptr_t zero_point, uintptr_t scale_ub, float scale_ub_value,
                              int64_t M, int K, uintptr_t stream) {
    return per_token_quant_cuda(kind, dtype, ptr<const void>(x), ldx, ptr<void>(q), ldq, ptr<float>(scale),
                                ptr<int32_t>(zero_point), ptr<const float>(scale_ub), scale_ub_value, M, K, stream);
  });
  m.def("per_tensor_quant", [](int kind, int dtype, uintptr_t x, int64_t ldx, uintptr_t q, int64_t ldq,
                               uintptr_t scale, int64_t M, int K, uintptr_t stream) {
    return per_tensor_quant_cuda(kind, dtype, ptr<const void>(x), ldx, ptr<void>(q), ldq, ptr<const float>(scale),
                                 M, K, stream);
  });
  m.def("fused_add_rmsnorm_quant",
        [](int kind, int dtype, uintptr_t x, int64_t ldx, uintptr_t residual, int64_t ldr, uintptr_t weight,
           int weight_dtype, uintptr_t q, int64_t ldq, uintptr_t scale, uintptr_t scale_ub, float scale_ub_value,
           float eps, int64_t M, int K, uintptr_t stream) {
          return fused_add_rmsnorm_quant_cuda(kind, dtype, ptr<const void>(x), ldx, ptr<void>(residual), ldr,
                                              ptr<const void>(weight), weight_dtype, ptr<void>(q), ldq,
                                              ptr<float>(scale), ptr<const float>(scale_ub), scale_ub_value, eps, M,
                                              K, stream);
        });
  m.def("quant_plan", &quant_plan_string, "launch shape of the quantization kernels for rows of length K");
}

}  // namespace qgemm::ops
