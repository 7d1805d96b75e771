// qgemm._C: the pybind11 face of the extension. Arguments are integers and pointers
// (torch's data_ptr()); Python validates shapes, dtypes and devices before calling.
#include <pybind11/pybind11.h>

#include <pybind11/stl.h>

#include <string>

#include "../ops.hpp"

namespace py = pybind11;
using namespace qgemm::ops;

namespace {

template <class T>
T* ptr(uintptr_t p) {
  return reinterpret_cast<T*>(p);
}

#ifndef QGEMM_WITH_CUDA_KERNELS
#define QGEMM_WITH_CUDA_KERNELS 0
#endif
#ifndef QGEMM_CUDA_ARCHS_STR
#define QGEMM_CUDA_ARCHS_STR ""
#endif

}  // namespace

#if QGEMM_WITH_CUDA_KERNELS
namespace qgemm::ops {
void bind_scaled_mm(py::module_& m);  // bindings/scaled_mm.cpp
void bind_quant(py::module_& m);      // bindings/quant.cpp
}  // namespace qgemm::ops
#endif

PYBIND11_MODULE(_C, m) {
  m.doc() = "qgemm C++ extension (no libtorch link)";
  m.attr("cuda_kernels") = bool(QGEMM_WITH_CUDA_KERNELS);
  m.attr("cuda_archs") = std::string(QGEMM_CUDA_ARCHS_STR);

  m.def("pack_tiled_host", [](int fmt, uintptr_t codes, int64_t N, int64_t K, uint32_t xor_mask,
                              uintptr_t packed) {
    py::gil_scoped_release nogil;
    pack_tiled_host(TiledFormat(fmt), ptr<const uint8_t>(codes), N, K, xor_mask, ptr<uint32_t>(packed));
  });
  m.def("unpack_tiled_host", [](int fmt, uintptr_t packed, int64_t N, int64_t K, uint32_t xor_mask,
                                bool sign_extend, uintptr_t codes) {
    py::gil_scoped_release nogil;
    unpack_tiled_host(TiledFormat(fmt), ptr<const uint32_t>(packed), N, K, xor_mask, sign_extend,
                      ptr<uint8_t>(codes));
  });
  m.def("pack_tc_fpx_host", [](uintptr_t codes, int64_t N, int64_t K, int nbits, uintptr_t packed) {
    py::gil_scoped_release nogil;
    pack_tc_fpx_host(ptr<const uint8_t>(codes), N, K, nbits, ptr<uint8_t>(packed));
  });
  m.def("unpack_tc_fpx_host", [](uintptr_t packed, int64_t N, int64_t K, int nbits, uintptr_t codes) {
    py::gil_scoped_release nogil;
    unpack_tc_fpx_host(ptr<const uint8_t>(packed), N, K, nbits, ptr<uint8_t>(codes));
  });

#if QGEMM_WITH_CUDA_KERNELS
  m.def("pack_tiled_cuda", [](int fmt, uintptr_t codes, int64_t N, int64_t K, uint32_t xor_mask,
                              uintptr_t packed, uintptr_t stream) {
    return pack_tiled_cuda(TiledFormat(fmt), ptr<const uint8_t>(codes), N, K, xor_mask,
                           ptr<uint32_t>(packed), stream);
  });
  m.def("pack_tc_fpx_cuda", [](uintptr_t codes, int64_t N, int64_t K, int nbits, uintptr_t packed,
                               uintptr_t stream) {
    return pack_tc_fpx_cuda(ptr<const uint8_t>(codes), N, K, nbits, ptr<uint8_t>(packed), stream);
  });
  m.def("pack_int4_from_awq_cuda", [](uintptr_t qweight, int64_t N, int64_t K, uintptr_t packed,
                                      uintptr_t stream) {
    return pack_int4_from_awq_cuda(ptr<const int32_t>(qweight), N, K, ptr<uint32_t>(packed), stream);
  });
  m.def("pack_int4_from_gptq_cuda", [](uintptr_t qweight, uintptr_t perm, int64_t N, int64_t K,
                                       uintptr_t packed, uintptr_t stream) {
    return pack_int4_from_gptq_cuda(ptr<const int32_t>(qweight), ptr<const int64_t>(perm), N, K,
                                    ptr<uint32_t>(packed), stream);
  });
  m.def("dequantize_tiled_cuda", [](int fmt, int dtype, uintptr_t packed, uintptr_t scales,
                                    uintptr_t zeros, float zero, int64_t N, int64_t K, int group_size,
                                    uintptr_t out, int64_t ldo, uintptr_t stream) {
    return dequantize_tiled_cuda(TiledFormat(fmt), dtype, ptr<const void>(packed), ptr<const void>(scales),
                                 ptr<const void>(zeros), zero, N, K, group_size, ptr<void>(out), ldo, stream);
  });
  bind_scaled_mm(m);
  m.def("set_dependent_launch", &set_dependent_launch);
  m.def("dependent_launch_enabled", &dependent_launch_enabled);
  m.def("dependent_launch_active", &dependent_launch_active);
  m.def("wna16_workspace_bytes", &wna16_workspace_bytes);
  m.def("wna16_plan", &wna16_plan_string);
  m.def("wna16_gemm", [](int dtype, int kind, int tiling, uintptr_t x, int64_t ldx, uintptr_t w, uintptr_t scales,
                         uintptr_t zeros, uintptr_t bias, uintptr_t out, int64_t ldo, int M, int N, int K,
                         int group_size, uintptr_t workspace, size_t workspace_bytes, int num_sms, int splits,
                         uintptr_t stream) {
    return wna16_gemm_cuda(dtype, kind, tiling, ptr<const void>(x), ldx, ptr<const void>(w), ptr<const void>(scales),
                           ptr<const void>(zeros), ptr<const void>(bias), ptr<void>(out), ldo, M, N, K,
                           group_size, ptr<void>(workspace), workspace_bytes, num_sms, splits, stream);
  });
  m.def("wna16_decode_workspace_bytes", &wna16_decode_workspace_bytes);
  m.def("wna16_decode_plan", &wna16_decode_plan_string, py::arg("kind"), py::arg("M"), py::arg("N"), py::arg("K"),
        py::arg("num_sms"), py::arg("forced_splits") = 0);
  m.def("wna16_decode_gemm", [](int dtype, int kind, uintptr_t x, int64_t ldx, uintptr_t w, uintptr_t scales,
                                uintptr_t zeros, uintptr_t bias, uintptr_t out, int64_t ldo, int M, int N, int K,
                                int group_size, uintptr_t workspace, size_t workspace_bytes, int num_sms, int splits,
                                uintptr_t stream) {
    return wna16_decode_gemm_cuda(dtype, kind, ptr<const void>(x), ldx, ptr<const void>(w), ptr<const void>(scales),
                                  ptr<const void>(zeros), ptr<const void>(bias), ptr<void>(out), ldo, M, N, K,
                                  group_size, ptr<void>(workspace), workspace_bytes, num_sms, splits, stream);
  });
  m.def("wna16_sm90_workspace_bytes", &wna16_sm90_workspace_bytes);
  m.def("wna16_sm90_configs", &wna16_sm90_configs_string);
  m.def("wna16_sm90_schedule", &wna16_sm90_schedule);
  m.def("wna16_sm90_reduction", &wna16_sm90_reduction);
  m.def("wna16_sm90_gemm", [](int dtype, int kind, uintptr_t x, int64_t ldx, uintptr_t w, uintptr_t scales,
                              uintptr_t zeros, uintptr_t bias, uintptr_t out, int64_t ldo, int M, int N, int K,
                              int group_size, uintptr_t workspace, size_t workspace_bytes, int num_sms, int config,
                              int decomposition, int splits, int reduction, uintptr_t stream) {
    return wna16_sm90_gemm_cuda(dtype, kind, ptr<const void>(x), ldx, ptr<const void>(w), ptr<const void>(scales),
                                ptr<const void>(zeros), ptr<const void>(bias), ptr<void>(out), ldo, M, N, K,
                                group_size, ptr<void>(workspace), workspace_bytes, num_sms, config, decomposition,
                                splits, reduction, stream);
  });
  bind_quant(m);
#endif
}
